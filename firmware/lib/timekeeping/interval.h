// Time on a board whose millis() wraps every 49.7 days: an interval schedule and an uptime in
// seconds, both correct across the wrap because they only ever subtract two millis() values.
#pragma once
#include <stdint.h>

// Fires once per interval and keeps the cadence (due times do not drift by the time the work took);
// after falling behind by more than one interval (a long retry), it skips to now instead of bursting.
// due_in() sets the next due time from now (the service's Next=), after which the interval goes on
// from that time (from when it fired, for a wait of 0: "at once"). Intervals and waits must be below 2^31 ms (24.8 days): 8 days (the longest Next
// the service sends) is well within, and due() must run at least once every 24 days.
class IntervalSchedule {
 public:
  void start(uint32_t now_ms, uint32_t interval_ms, bool fire_now);
  void due_in(uint32_t now_ms, uint32_t wait_ms);
  bool due(uint32_t now_ms);
  uint32_t ms_until_due(uint32_t now_ms) const;

 private:
  uint32_t from_ms_ = 0;      // the last due time (or when the wait was set)
  uint32_t wait_ms_ = 0;      // from from_ms_ to the next due time
  uint32_t interval_ms_ = 0;
};

// Seconds since boot, for timers longer than millis() can span (a DHCP lease of weeks).
// update() must be called at least once every 49 days.
class UptimeSeconds {
 public:
  void update(uint32_t now_ms);
  uint32_t seconds() const { return seconds_; }

 private:
  uint32_t last_ms_ = 0;
  uint32_t carry_ms_ = 0;
  uint32_t seconds_ = 0;
};

// Whether a deadline set as `start_ms + span_ms` has passed, correct across the wrap.
inline bool elapsed_at_least(uint32_t now_ms, uint32_t start_ms, uint32_t span_ms) {
  return (uint32_t)(now_ms - start_ms) >= span_ms;
}
