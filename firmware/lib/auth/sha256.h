// SHA-256 (FIPS 180-4), incremental, for a 2 KB AVR: 101 bytes of state, no heap, round constants
// in flash. Feed bytes as they stream past (for instance during the camera FIFO scan).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace auth {

class Sha256 {
 public:
  static const uint8_t kDigestSize = 32;
  static const uint8_t kBlockSize = 64;

  void begin();
  void update(uint8_t byte) {
    block_.bytes[used_++] = byte;
    if (used_ == kBlockSize) compress();
  }
  void update(const void *data, size_t length);
  void update_P(const void *flash, size_t length);  // bytes stored in PROGMEM
  void finish(uint8_t digest[kDigestSize]);           // the object must be begin()-ed again after

 private:
  void compress();

  uint32_t state_[8];
  uint32_t blocks_;  // 64-byte blocks compressed so far (256 GB before it wraps)
  union {
    uint8_t bytes[kBlockSize];
    uint32_t words[kBlockSize / 4];
  } block_;
  uint8_t used_;
};

}  // namespace auth
