// The frame counter that makes each signed request fresh: 32 bits in EEPROM, advanced and persisted
// once per new frame before its first upload attempt (retries of that frame reuse the value).
//
// Two slots of {value, ~value}; next() overwrites the older slot, so a reset during the EEPROM write
// leaves the other slot intact and the counter never goes backwards. Erased EEPROM (0xFF) reads as 0.
// At one frame every 6 hours a slot is written twice a day: 100,000 cycles last over a century.
#pragma once

#include <stdint.h>

namespace auth {

class FrameCounter {
 public:
  static const uint8_t kBytes = 16;  // EEPROM bytes used from the base address

  explicit FrameCounter(uint16_t eeprom_address) : base_(eeprom_address) {}
  uint32_t current() const;  // the last value handed out (0 when none yet)
  uint32_t next();           // current() + 1, persisted before it returns

 private:
  bool read_slot(uint8_t slot, uint32_t *value) const;
  uint16_t base_;
};

}  // namespace auth
