#include "interval.h"

void IntervalSchedule::start(uint32_t now_ms, uint32_t interval_ms, bool fire_now) {
  interval_ms_ = interval_ms;
  last_ms_ = fire_now ? now_ms - interval_ms : now_ms;
}

// Not inlined: the policy checks it in two places, and a copy costs 84 bytes of flash.
__attribute__((noinline)) bool IntervalSchedule::due(uint32_t now_ms) {
  const uint32_t since = now_ms - last_ms_;
  if (since < interval_ms_) return false;
  if (since - interval_ms_ >= interval_ms_) {
    last_ms_ = now_ms;  // more than one interval behind: restart the cadence from now
  } else {
    last_ms_ += interval_ms_;
  }
  return true;
}

uint32_t IntervalSchedule::ms_until_due(uint32_t now_ms) const {
  const uint32_t since = now_ms - last_ms_;
  return since >= interval_ms_ ? 0 : interval_ms_ - since;
}

void UptimeSeconds::update(uint32_t now_ms) {
  carry_ms_ += now_ms - last_ms_;
  last_ms_ = now_ms;
  seconds_ += carry_ms_ / 1000;
  carry_ms_ %= 1000;
}
