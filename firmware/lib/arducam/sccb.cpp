#include "sccb.h"

#include <Arduino.h>
#include <avr/io.h>
#include <util/twi.h>

namespace sccb {
namespace {

// Runs one TWI step (TWCR = TWINT | TWEN | extra) and returns the status, or 0 on timeout.
uint8_t step(uint8_t extra) {
  TWCR = _BV(TWINT) | _BV(TWEN) | extra;
  const uint16_t start = (uint16_t)micros();
  while (!(TWCR & _BV(TWINT))) {
    if ((uint16_t)((uint16_t)micros() - start) > 2000) return 0;
  }
  return TW_STATUS;
}

void stop() {
  TWCR = _BV(TWINT) | _BV(TWEN) | _BV(TWSTO);
  const uint16_t start = (uint16_t)micros();
  while ((TWCR & _BV(TWSTO)) && (uint16_t)((uint16_t)micros() - start) < 2000) {
  }
}

bool start_and_address(uint8_t sla) {
  const uint8_t s = step(_BV(TWSTA));
  if (s != TW_START && s != TW_REP_START) return false;
  TWDR = sla;
  const uint8_t a = step(0);
  return a == ((sla & 1) ? TW_MR_SLA_ACK : TW_MT_SLA_ACK);
}

bool send_bytes(uint8_t addr7, const uint8_t* bytes, uint8_t n) {
  bool ok = start_and_address((uint8_t)(addr7 << 1));
  for (uint8_t i = 0; ok && i < n; ++i) {
    TWDR = bytes[i];
    ok = step(0) == TW_MT_DATA_ACK;
  }
  stop();
  return ok;
}

}  // namespace

void begin() {
  PORTC |= _BV(PC4) | _BV(PC5);  // internal pull-ups on SDA/SCL, as a fallback to the board's
  TWSR = 0;                      // prescaler 1
  TWBR = (uint8_t)((F_CPU / 100000UL - 16) / 2);
  TWCR = _BV(TWEN);
}

bool write(uint8_t addr7, uint8_t reg, uint8_t value) {
  const uint8_t bytes[2] = {reg, value};
  return send_bytes(addr7, bytes, 2);
}

bool read(uint8_t addr7, uint8_t reg, uint8_t* value) {
  if (!send_bytes(addr7, &reg, 1)) return false;
  bool ok = start_and_address((uint8_t)((addr7 << 1) | 1));
  if (ok) {
    ok = step(0) == TW_MR_DATA_NACK;  // one byte, answered with NACK
    *value = TWDR;
  }
  stop();
  return ok;
}

}  // namespace sccb
