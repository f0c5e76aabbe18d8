#include "jpeg_scan.h"

void JpegScan::reset() {
  pos_ = start_ = end_ = 0;
  prev_ = 0;
  state_ = kSeekStart;
}

bool JpegScan::feed(const uint8_t* data, uint16_t n) {
  for (uint16_t i = 0; i < n && state_ != kComplete; ++i) {
    const uint8_t b = data[i];
    const uint32_t here = pos_++;
    if (prev_ == 0xFF) {
      if (state_ == kSeekStart && b == 0xD8) {
        start_ = here - 1;
        state_ = kSeekEnd;
        prev_ = 0;  // the D8 cannot start another marker
        continue;
      }
      if (state_ == kSeekEnd && b == 0xD9) {
        end_ = here + 1;
        state_ = kComplete;
      }
    }
    prev_ = b;
  }
  return state_ == kComplete;
}
