#include "jpeg_scan.h"

#include <string.h>

// The sums stay in registers for the loop. Written as add(data[i]) through `this`, every byte's
// store may alias data, so the compiler reloaded and stored both sums each byte: 27 cycles a byte
// instead of 13, and the send pass sums every chunk it sends (37% of its time, sampled on the
// simulated board). Not inlined: one copy, where inlining it at each caller cost 36 bytes of flash.
__attribute__((noinline)) void FrameSum::add(const uint8_t* data, uint16_t n) {
  uint16_t sa = a, sb = b;
  for (const uint8_t* end = data + n; data != end; ++data) {
    sa = (uint16_t)(sa + *data);
    sb = (uint16_t)(sb + sa);
  }
  a = sa;
  b = sb;
}

void JpegScan::reset() {
  pos_ = start_ = end_ = 0;
  prev_ = 0;
  state_ = kSeekStart;
  head_length_ = 0;
  sum_ = FrameSum();
}

bool JpegScan::feed(const uint8_t* data, uint16_t n) {
  for (uint16_t i = 0; i < n && state_ != kComplete; ++i) {
    const uint8_t b = data[i];
    const uint32_t here = pos_++;
    if (state_ == kSeekEnd) {
      sum_.add(b);
      if (head_length_ < kHeadBytes) head_[head_length_++] = b;
    }
    if (prev_ == 0xFF) {
      if (state_ == kSeekStart && b == 0xD8) {
        start_ = here - 1;
        state_ = kSeekEnd;
        sum_.add(0xFF);
        sum_.add(0xD8);
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

uint8_t burst_lead_in(const uint8_t* expected, const uint8_t* got, uint8_t n) {
  if (n < 2) return kLeadInUnknown;
  const bool continues = memcmp(got, expected, n) == 0;
  const bool after_junk = memcmp(got + 1, expected, n - 1) == 0;
  if (continues == after_junk) return kLeadInUnknown;
  return after_junk ? 1 : 0;
}
