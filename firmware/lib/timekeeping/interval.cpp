#include "interval.h"

void IntervalSchedule::start(uint32_t now_ms, uint32_t interval_ms, bool fire_now) {
  interval_ms_ = interval_ms;
  due_in(now_ms, fire_now ? 0 : interval_ms);
}

void IntervalSchedule::due_in(uint32_t now_ms, uint32_t wait_ms) {
  from_ms_ = now_ms;
  wait_ms_ = wait_ms;
}

// Not inlined: the policy checks it in two places, and a copy costs 84 bytes of flash.
__attribute__((noinline)) bool IntervalSchedule::due(uint32_t now_ms) {
  const uint32_t since = now_ms - from_ms_;
  if (since < wait_ms_) return false;
  if (wait_ms_ == 0 || since - wait_ms_ >= interval_ms_) {
    from_ms_ = now_ms;  // due at once, or more than one interval behind: the cadence from now
  } else {
    from_ms_ += wait_ms_;
  }
  wait_ms_ = interval_ms_;
  return true;
}

uint32_t IntervalSchedule::ms_until_due(uint32_t now_ms) const {
  const uint32_t since = now_ms - from_ms_;
  return since >= wait_ms_ ? 0 : wait_ms_ - since;
}

void UptimeSeconds::update(uint32_t now_ms) {
  carry_ms_ += now_ms - last_ms_;
  last_ms_ = now_ms;
  seconds_ += carry_ms_ / 1000;
  carry_ms_ %= 1000;
}
