#include "image_hash.h"

namespace auth {

void ImageHash::begin() {
  sha_.begin();
  started_ = done_ = false;
}

void ImageHash::feed(const uint8_t *chunk, uint16_t n, uint32_t offset, bool found, uint32_t start,
                     bool complete, uint32_t end) {
  if (!found || done_) return;
  uint16_t from = 0;
  if (!started_) {
    started_ = true;
    if (start < offset) {
      sha_.update(0xFF);  // the FF of FF D8 closed the previous chunk
    } else {
      from = uint16_t(start - offset);
    }
  }
  uint16_t to = n;
  if (complete) {
    done_ = true;
    if (end - offset < n) to = uint16_t(end - offset);
  }
  for (uint16_t i = from; i < to; i++) sha_.update(chunk[i]);
}

}  // namespace auth
