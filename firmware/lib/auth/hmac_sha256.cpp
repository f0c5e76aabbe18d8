#include "hmac_sha256.h"

#include <pgm.h>

namespace auth {

void HmacSha256::begin(const uint8_t *key_P, uint8_t key_length) {
  key_P_ = key_P;
  key_length_ = key_length > Sha256::kBlockSize ? Sha256::kBlockSize : key_length;
  start(0x36);
}

void HmacSha256::start(uint8_t pad) {
  sha_.begin();
  for (uint8_t i = 0; i < Sha256::kBlockSize; i++) {
    uint8_t k = i < key_length_ ? pgm_read_byte(key_P_ + i) : 0;
    sha_.update(uint8_t(k ^ pad));
  }
}

void HmacSha256::finish(uint8_t mac[Sha256::kDigestSize]) {
  sha_.finish(mac);  // the inner hash, used as the outer message
  start(0x5c);
  sha_.update(mac, Sha256::kDigestSize);
  sha_.finish(mac);
}

}  // namespace auth
