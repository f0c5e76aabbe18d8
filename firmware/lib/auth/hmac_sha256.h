// HMAC-SHA256 (RFC 2104) with the key read from flash; one SHA-256 state, no copy of the key in RAM.
#pragma once

#include "sha256.h"

namespace auth {

class HmacSha256 {
 public:
  // key_P: the key in PROGMEM, at most 64 bytes (camera secrets are 32).
  void begin(const uint8_t *key_P, uint8_t key_length);
  void update(uint8_t byte) { sha_.update(byte); }
  void update(const void *data, size_t length) { sha_.update(data, length); }
  void finish(uint8_t mac[Sha256::kDigestSize]);

 private:
  void start(uint8_t pad);  // begins a hash with (key XOR pad), zero-filled to one block

  Sha256 sha_;
  const uint8_t *key_P_;
  uint8_t key_length_;
};

}  // namespace auth
