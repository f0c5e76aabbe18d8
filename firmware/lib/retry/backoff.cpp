#include "backoff.h"

uint32_t backoff_delay_ms(const BackoffPolicy& policy, uint8_t failures, uint32_t random) {
  uint32_t d = policy.base_ms;
  for (uint8_t i = 1; i < failures && d < policy.cap_ms; ++i) d <<= 1;
  if (d > policy.cap_ms) d = policy.cap_ms;
  const uint32_t half = d / 2;
  return d - half + random % (half + 1);
}

uint32_t xorshift32(uint32_t* state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}
