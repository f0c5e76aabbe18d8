// Retry delays for a failed upload or capture: exponential backoff with jitter. How long a frame is
// tried is the policy's (camera_policy.h: until the next capture is due).
#pragma once
#include <stdint.h>

struct BackoffPolicy {
  uint32_t base_ms;    // delay after the first failure, before jitter
  uint32_t cap_ms;     // no single delay is longer than this
};

// Delay after `failures` failed attempts (1 for the first): min(cap, base * 2^(failures-1)) = d,
// jittered uniformly into [d/2, d] with `random` (any 32-bit value).
uint32_t backoff_delay_ms(const BackoffPolicy& policy, uint8_t failures, uint32_t random);

// xorshift32: a small PRNG for the jitter (and transaction ids). The state must not be 0.
uint32_t xorshift32(uint32_t* state);
