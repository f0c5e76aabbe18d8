#include "frame_counter.h"

#ifdef __AVR__
#include <avr/eeprom.h>
#else
#include <string.h>

#include "eeprom_host.h"
#endif

namespace auth {

#ifdef __AVR__
static uint32_t read_u32(uint16_t address) {
  return eeprom_read_dword(reinterpret_cast<const uint32_t *>(address));
}
static void write_u32(uint16_t address, uint32_t value) {
  eeprom_update_dword(reinterpret_cast<uint32_t *>(address), value);
}
#else
uint8_t host_eeprom[kHostEepromBytes] = {};
static uint32_t read_u32(uint16_t address) {
  uint32_t value;
  memcpy(&value, &host_eeprom[address], 4);
  return value;
}
static void write_u32(uint16_t address, uint32_t value) { memcpy(&host_eeprom[address], &value, 4); }
#endif

bool FrameCounter::read_slot(uint8_t slot, uint32_t *value) const {
  uint16_t at = base_ + 8 * slot;
  *value = read_u32(at);
  return read_u32(at + 4) == ~*value;
}

uint32_t FrameCounter::current() const {
  uint32_t a, b;
  bool has_a = read_slot(0, &a), has_b = read_slot(1, &b);
  if (has_a && has_b) return a > b ? a : b;
  if (has_a) return a;
  if (has_b) return b;
  return 0;
}

uint32_t FrameCounter::next() {
  const uint32_t value = current() + 1;
  // Write the slot that does not hold the current value.
  uint32_t a;
  const uint8_t slot = (read_slot(0, &a) && a == value - 1) ? 1 : 0;
  uint16_t at = base_ + 8 * slot;
  // Inverse first, then value: a write cut short leaves this slot invalid, old or new, never other.
  write_u32(at + 4, ~value);
  write_u32(at, value);
  return value;
}

}  // namespace auth
