#include "sd_card.h"

#include <Arduino.h>
#include <avr/wdt.h>
#include <spi_bus.h>

namespace sd {
namespace {

enum : uint8_t {
  kGoIdle = 0, kSendIfCond = 8, kSendCsd = 9, kStopTransmission = 12, kSendStatus = 13,
  kReadBlock = 17, kWriteBlock = 24, kAppCommand = 55, kReadOcr = 58, kAppSendOpCond = 41,
};
enum : uint8_t { kR1Idle = 0x01, kR1IllegalCommand = 0x04, kStartBlock = 0xFE };
const uint16_t kInitMs = 2000;     // ACMD41 can take up to 1 s (the specification's limit)
const uint16_t kReadMs = 300;      // a read token
const uint16_t kWriteMs = 600;     // a block's programming (the specification's 250 ms, doubled)

bool ready_ = false;
bool block_addressing_ = false;  // SDHC/SDXC: addresses are block numbers, SDSC: bytes
uint32_t blocks_ = 0;
spi::Clock clock_ = spi::k250kHz;

inline void select() {
  spi::set_clock(clock_);
  PORTD &= ~_BV(PD4);
}
inline void deselect() {
  PORTD |= _BV(PD4);
  spi::transfer(0xFF);  // the card lets go of MISO only on the next clock
}

// Waits for MISO to read 0xFF (the card not busy) at most ms; true if it did.
bool wait_idle(uint16_t ms) {
  const uint32_t start = millis();
  while (spi::transfer(0xFF) != 0xFF) {
    wdt_reset();
    if (millis() - start >= ms) return false;
  }
  return true;
}

// Sends a command and returns its R1 (0xFF: no answer). The card stays selected.
uint8_t command(uint8_t cmd, uint32_t arg) {
  select();
  wait_idle(kReadMs);
  spi::transfer(0x40 | cmd);
  for (int8_t shift = 24; shift >= 0; shift -= 8) spi::transfer((uint8_t)(arg >> shift));
  spi::transfer(cmd == kGoIdle ? 0x95 : cmd == kSendIfCond ? 0x87 : 0xFF);  // CRC where checked
  uint8_t r1 = 0xFF;
  for (uint8_t i = 0; i < 10 && ((r1 = spi::transfer(0xFF)) & 0x80); ++i) {
  }
  return r1;
}

uint8_t app_command(uint8_t cmd, uint32_t arg) {
  command(kAppCommand, 0);
  deselect();
  return command(cmd, arg);
}

// After a command that sends data: waits for the start token, then reads n bytes.
bool read_data(uint8_t* dst, uint16_t n) {
  const uint32_t start = millis();
  uint8_t token;
  while ((token = spi::transfer(0xFF)) == 0xFF) {
    wdt_reset();
    if (millis() - start >= kReadMs) return false;
  }
  if (token != kStartBlock) return false;
  spi::read_block(dst, n);
  spi::transfer(0xFF);  // CRC, not checked (SPI mode has it off)
  spi::transfer(0xFF);
  return true;
}

// Capacity from the CSD register (version 1: SDSC, version 2: SDHC/SDXC), in 512-byte blocks.
uint32_t capacity(const uint8_t csd[16]) {
  if ((csd[0] >> 6) == 1) {
    const uint32_t c_size = ((uint32_t)(csd[7] & 0x3F) << 16) | ((uint16_t)csd[8] << 8) | csd[9];
    return (c_size + 1) << 10;
  }
  const uint8_t read_bl_len = csd[5] & 0x0F;
  const uint16_t c_size = ((uint16_t)(csd[6] & 0x03) << 10) | ((uint16_t)csd[7] << 2) | (csd[8] >> 6);
  const uint8_t c_size_mult = ((csd[9] & 0x03) << 1) | (csd[10] >> 7);
  return (uint32_t)(c_size + 1) << (c_size_mult + 2 + read_bl_len - 9);
}

Error fail(Error e) {
  deselect();
  return e;
}

}  // namespace

const char* error_name(Error e) {
  switch (e) {
    case Error::kNoCard: return PSTR("no card");
    case Error::kInit: return PSTR("card did not initialise");
    case Error::kTimeout: return PSTR("card timed out");
    case Error::kRejected: return PSTR("card refused");
    case Error::kRange: return PSTR("block past the card's end");
    default: return PSTR("ok");
  }
}

void begin() {
  PORTD |= _BV(PD4);
  DDRD |= _BV(PD4);
}

Error init() {
  ready_ = false;
  clock_ = spi::k250kHz;  // at most 400 kHz until the card is ready
  spi::set_clock(clock_);
  for (uint8_t i = 0; i < 10; ++i) spi::transfer(0xFF);  // 80 clocks with CS high
  uint8_t r1 = 0xFF;
  for (uint8_t i = 0; i < 10 && r1 != kR1Idle; ++i) {
    r1 = command(kGoIdle, 0);
    deselect();
  }
  if (r1 != kR1Idle) return fail(r1 == 0xFF ? Error::kNoCard : Error::kInit);
  r1 = command(kSendIfCond, 0x1AA);
  uint8_t r7[4];
  spi::read_block(r7, 4);
  deselect();
  const bool v2 = !(r1 & kR1IllegalCommand);
  if (v2 && r7[3] != 0xAA) return fail(Error::kInit);  // the echo pattern
  const uint32_t start = millis();
  while ((r1 = app_command(kAppSendOpCond, v2 ? 0x40000000UL : 0)) != 0) {
    deselect();
    wdt_reset();
    if (r1 & ~kR1Idle || millis() - start >= kInitMs) return fail(Error::kInit);
  }
  deselect();
  block_addressing_ = false;
  if (v2) {
    if (command(kReadOcr, 0) != 0) return fail(Error::kInit);
    uint8_t ocr[4];
    spi::read_block(ocr, 4);
    block_addressing_ = (ocr[0] & 0xC0) == 0xC0;  // powered up, CCS
    deselect();
  }
  uint8_t csd[16];
  const bool csd_ok = command(kSendCsd, 0) == 0 && read_data(csd, sizeof csd);
  deselect();
  if (!csd_ok) return fail(Error::kInit);
  blocks_ = capacity(csd);
  clock_ = spi::k8MHz;  // SPI mode's default speed allows 25 MHz
  ready_ = true;
  return Error::kNone;
}

bool ready() { return ready_; }
uint32_t blocks() { return blocks_; }

Error read_block(uint32_t block, uint8_t* dst) {
  if (!ready_) return Error::kNoCard;
  if (block >= blocks_) return Error::kRange;
  if (command(kReadBlock, block_addressing_ ? block : block << 9) != 0) {
    ready_ = false;
    return fail(Error::kRejected);
  }
  const bool ok = read_data(dst, kBlockBytes);
  deselect();
  if (!ok) ready_ = false;
  return ok ? Error::kNone : Error::kTimeout;
}

Error write_block(uint32_t block, const uint8_t* src) {
  if (!ready_) return Error::kNoCard;
  if (block >= blocks_) return Error::kRange;
  if (command(kWriteBlock, block_addressing_ ? block : block << 9) != 0) {
    ready_ = false;
    return fail(Error::kRejected);
  }
  spi::transfer(kStartBlock);
  spi::write_block(src, kBlockBytes);
  spi::transfer(0xFF);  // CRC, ignored in SPI mode
  spi::transfer(0xFF);
  const uint8_t response = spi::transfer(0xFF) & 0x1F;
  if (response != 0x05) {
    // The card sets its status's error bits too, cleared when read (the specification's
    // clear-on-read "C" bits): read them now, or the next write's CMD13 reports this one.
    wait_idle(kWriteMs);
    deselect();
    command(kSendStatus, 0);
    spi::transfer(0xFF);
    ready_ = false;
    return fail(Error::kRejected);
  }
  if (!wait_idle(kWriteMs)) {
    ready_ = false;
    return fail(Error::kTimeout);
  }
  // The write may still have failed while programming: CMD13's R2 must be all zero.
  const bool ok = command(kSendStatus, 0) == 0 && spi::transfer(0xFF) == 0;
  deselect();
  if (!ok) ready_ = false;
  return ok ? Error::kNone : Error::kRejected;
}

}  // namespace sd
