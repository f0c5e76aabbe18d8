#include "arduchip.h"

#include <Arduino.h>
#include <spi_bus.h>

namespace arduchip {
namespace {

enum : uint8_t {
  kTest = 0x00, kCaptureCount = 0x01, kFifoControl = 0x04, kReset = 0x07, kBurstRead = 0x3C,
  kStatus = 0x41, kFifoSize0 = 0x42, kFifoSize1 = 0x43, kFifoSize2 = 0x44,
};
enum : uint8_t {  // FIFO control bits, ArduCAM.h's FIFO_*_MASK
  kClearDone = 0x01, kStartCapture = 0x02, kResetReadPointer = 0x10, kResetWritePointer = 0x20,
};
const uint8_t kCaptureDone = 0x08;

uint8_t rewind_bit_ = kResetReadPointer;
spi::Clock clock_ = spi::k8MHz;

inline void select() {
  spi::set_clock(clock_);
  PORTD &= ~_BV(PD7);
}
inline void deselect() { PORTD |= _BV(PD7); }

uint8_t read_reg(uint8_t reg) {
  select();
  spi::transfer(reg & 0x7F);
  const uint8_t v = spi::transfer(0);
  deselect();
  return v;
}

void write_reg(uint8_t reg, uint8_t value) {
  select();
  spi::transfer(reg | 0x80);
  spi::transfer(value);
  deselect();
}

}  // namespace

void begin() {
  deselect();
  DDRD |= _BV(PD7);
}

namespace {
bool echoes() {
  static const uint8_t kPatterns[] = {0x55, 0xAA, 0x00};
  for (uint8_t p : kPatterns) {
    write_reg(kTest, p);
    if (read_reg(kTest) != p) return false;
  }
  return true;
}
}  // namespace

bool reset_and_check() {
  write_reg(kReset, 0x80);
  delay(100);
  write_reg(kReset, 0x00);
  delay(100);
  return check();
}

bool check() {
  if (echoes()) return true;
  if (clock_ == spi::k4MHz) return false;
  slow_down();
  return echoes();
}

// As the vendor's examples: clear the done flag, start. Each capture writes the FIFO from its start
// and reading starts there too, so no pointer reset is needed.
void start_capture() {
  write_reg(kCaptureCount, 0);  // one frame
  write_reg(kFifoControl, kClearDone);
  write_reg(kFifoControl, kStartCapture);
}

bool capture_done() { return read_reg(kStatus) & kCaptureDone; }

uint32_t fifo_length() {
  const uint32_t b0 = read_reg(kFifoSize0);
  const uint32_t b1 = read_reg(kFifoSize1);
  const uint32_t b2 = read_reg(kFifoSize2) & 0x7F;
  return (b2 << 16) | (b1 << 8) | b0;
}

void rewind() { write_reg(kFifoControl, rewind_bit_); }
void use_other_rewind() { rewind_bit_ ^= kResetReadPointer | kResetWritePointer; }
uint8_t rewind_bit() { return rewind_bit_; }
void slow_down() { clock_ = spi::k4MHz; }
spi::Clock clock() { return clock_; }

void burst_begin() {
  select();
  spi::transfer(kBurstRead);
}

void burst_continue(uint8_t* dst, uint16_t n) { spi::read_block(dst, n); }

void burst_end() { deselect(); }

void read_burst(uint8_t* dst, uint16_t n) {
  burst_begin();
  burst_continue(dst, n);
  burst_end();
}

}  // namespace arduchip
