#include <backoff.h>
#include <doctest.h>
#include <interval.h>

TEST_CASE("backoff doubles from base up to the cap, jittered into [d/2, d]") {
  const BackoffPolicy p = {1000, 8000};
  const uint32_t expect[] = {1000, 2000, 4000, 8000, 8000, 8000};
  for (uint8_t f = 1; f <= 6; ++f) {
    const uint32_t d = expect[f - 1];
    CAPTURE(f);
    CHECK(backoff_delay_ms(p, f, 0) == d - d / 2);
    CHECK(backoff_delay_ms(p, f, d / 2) == d);           // top of the range
    CHECK(backoff_delay_ms(p, f, d / 2 + 1) == d - d / 2);  // wraps, stays in range
  }
  CHECK(backoff_delay_ms(p, 255, 0xFFFFFFFFu) <= 8000);  // no overflow after many failures
}

TEST_CASE("jitter spreads the delays") {
  const BackoffPolicy p = {2000, 120000};
  uint32_t state = 12345, lo = 0xFFFFFFFFu, hi = 0;
  for (int i = 0; i < 1000; ++i) {
    const uint32_t d = backoff_delay_ms(p, 3, xorshift32(&state));
    CHECK(d >= 4000);
    CHECK(d <= 8000);
    lo = d < lo ? d : lo;
    hi = d > hi ? d : hi;
  }
  CHECK(lo < 4200);
  CHECK(hi > 7800);
}

TEST_CASE("interval fires at boot, then once per interval, keeping the cadence") {
  IntervalSchedule s;
  s.start(1000, 500, true);
  CHECK(s.due(1000));
  CHECK_FALSE(s.due(1000));
  CHECK_FALSE(s.due(1499));
  CHECK(s.due(1530));  // late by 30 ms ...
  CHECK_FALSE(s.due(1999));
  CHECK(s.due(2000));  // ... the next one is still on the 500 ms grid
  CHECK(s.ms_until_due(2100) == 400);
}

TEST_CASE("interval without firing at start") {
  IntervalSchedule s;
  s.start(0, 100, false);
  CHECK_FALSE(s.due(0));
  CHECK_FALSE(s.due(99));
  CHECK(s.due(100));
}

TEST_CASE("falling behind more than an interval restarts the cadence instead of bursting") {
  IntervalSchedule s;
  s.start(0, 100, false);
  CHECK(s.due(350));
  CHECK_FALSE(s.due(351));
  CHECK_FALSE(s.due(449));
  CHECK(s.due(450));
}

TEST_CASE("interval across the millis() wrap") {
  const uint32_t six_hours = 6UL * 3600 * 1000;
  const uint32_t start = 0xFFFFFFFFu - 1000;  // 1 s before the wrap
  IntervalSchedule s;
  s.start(start, six_hours, false);
  CHECK_FALSE(s.due(start + 2000));  // wrapped, 2 s later
  CHECK_FALSE(s.due(start + six_hours - 1));
  CHECK(s.due(start + six_hours));
  CHECK(s.ms_until_due(start + six_hours + 10) == six_hours - 10);
}

TEST_CASE("uptime seconds keep counting across the millis() wrap") {
  UptimeSeconds u;
  u.update(0);
  uint32_t now = 0;
  uint64_t real_ms = 0;
  for (int i = 0; i < 200; ++i) {  // 200 steps of 0.3 days: past two wraps
    now += 25920000u + 7;
    real_ms += 25920000u + 7;
    u.update(now);
  }
  CHECK(u.seconds() == real_ms / 1000);
}

TEST_CASE("elapsed_at_least across the wrap") {
  CHECK(elapsed_at_least(5, 0xFFFFFFF0u, 21));
  CHECK_FALSE(elapsed_at_least(5, 0xFFFFFFF0u, 22));
}
