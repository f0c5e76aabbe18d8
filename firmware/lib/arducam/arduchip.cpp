#include "arduchip.h"

#include <Arduino.h>
#include <spi_bus.h>

namespace arduchip {
namespace {

enum : uint8_t {
  kTest = 0x00, kCaptureCount = 0x01, kFifoControl = 0x04, kReset = 0x07, kBurstRead = 0x3C,
  kStatus = 0x41, kFifoSize0 = 0x42, kFifoSize1 = 0x43, kFifoSize2 = 0x44,
};
enum : uint8_t {
  kClearDone = 0x01, kStartCapture = 0x02, kResetWritePointer = 0x10, kResetReadPointer = 0x20,
};
const uint8_t kCaptureDone = 0x08;

inline void select() { PORTD &= ~_BV(PD7); }
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

bool reset_and_check() {
  write_reg(kReset, 0x80);
  delay(100);
  write_reg(kReset, 0x00);
  delay(100);
  static const uint8_t kPatterns[] = {0x55, 0xAA, 0x00};
  for (uint8_t p : kPatterns) {
    write_reg(kTest, p);
    if (read_reg(kTest) != p) return false;
  }
  return true;
}

void start_capture() {
  write_reg(kCaptureCount, 0);  // one frame
  write_reg(kFifoControl, kClearDone);
  write_reg(kFifoControl, kResetWritePointer);
  write_reg(kFifoControl, kStartCapture);
}

bool capture_done() { return read_reg(kStatus) & kCaptureDone; }

uint32_t fifo_length() {
  const uint32_t b0 = read_reg(kFifoSize0);
  const uint32_t b1 = read_reg(kFifoSize1);
  const uint32_t b2 = read_reg(kFifoSize2) & 0x7F;
  return (b2 << 16) | (b1 << 8) | b0;
}

void rewind() { write_reg(kFifoControl, kResetReadPointer); }

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
