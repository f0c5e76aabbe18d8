// The camera's policy (camera_policy.h) on a fake board: a clock the test moves, scripted capture
// and upload outcomes, and the log as a string. Each test checks a decision the board only makes in
// the simulator otherwise: what each answer means, how long it waits, when it gives up or resets,
// and when it captures (also across the millis() wrap and after a reset).
#include <backoff.h>
#include <camera_policy.h>
#include <doctest.h>
#include <stdint.h>

#include <deque>
#include <string>
#include <vector>

namespace {

const uint32_t kStepMs = 10;  // how far the clock moves between two turns of the main loop

struct FakeBoard {
  // The clock, and how long each step takes on it.
  uint32_t now = 1000;
  uint32_t capture_ms = 100;
  uint32_t upload_ms = 300;
  uint32_t dhcp_ms = 50;

  // Scripted outcomes: taken from the front; when empty, everything works.
  std::deque<CaptureError> captures;
  std::deque<UploadResult> uploads;
  std::deque<uint32_t> randoms;  // when empty, a xorshift sequence
  bool camera_answers = true;
  bool dhcp_answers = true;
  bool signing = false;

  // What the policy did.
  std::string log;
  bool lease = false;
  uint32_t counter = 0;
  uint32_t rng = 12345;
  int camera_bring_ups = 0;
  int slowdowns = 0;
  int reboots = 0;
  bool flushed_before_reboot = false;
  bool flushed = false;
  std::vector<uint32_t> network_tries;  // when bring_up_network ran
  std::vector<uint32_t> capture_starts;
  std::vector<bool> triggers;           // per capture: a new frame (true) or a rescan
  std::vector<uint32_t> upload_starts;
  std::vector<uint32_t> upload_ends;

  uint32_t millis() { return now; }
  void kick_watchdog() {}
  void reboot() {
    ++reboots;
    flushed_before_reboot = flushed;
  }
  uint32_t random() {
    if (randoms.empty()) return xorshift32(&rng);
    const uint32_t r = randoms.front();
    randoms.pop_front();
    return r;
  }
  void print_P(const char* s) { log += s; }
  void print(uint32_t n) { log += std::to_string(n); }
  void println() { log += "\n"; }
  void flush() { flushed = true; }

  void begin() { log += "boot\n"; }
  bool bring_up_camera() {
    ++camera_bring_ups;
    return camera_answers;
  }
  bool bring_up_network() {
    network_tries.push_back(now);
    now += dhcp_ms;
    lease = dhcp_answers;
    return lease;
  }
  bool keep_network(uint32_t) { return lease; }
  bool network_up() { return lease; }
  CaptureError capture(bool trigger, FrameExtent* frame) {
    capture_starts.push_back(now);
    triggers.push_back(trigger);
    now += capture_ms;
    CaptureError err = CaptureError::kNone;
    if (!captures.empty()) {
      err = captures.front();
      captures.pop_front();
    }
    if (err == CaptureError::kNone) {
      *frame = FrameExtent{};
      frame->start = 2;
      frame->length = 48213;
      frame->fifo_length = 53248;
      frame->lead_in = 1;
      if (signing) ++counter;
    }
    return err;
  }
  bool frame_counter(uint32_t* c) {
    *c = counter;
    return signing;
  }
  void slow_camera_bus() { ++slowdowns; }
  void report_camera_bus() {}
  UploadResult upload(const FrameExtent&) {
    upload_starts.push_back(now);
    now += upload_ms;
    upload_ends.push_back(now);
    UploadResult r = {UploadError::kNone, 201};
    if (!uploads.empty()) {
      r = uploads.front();
      uploads.pop_front();
    }
    return r;
  }
};

// 20 s between frames, retries from 1 s doubling up to 8 s, each frame tried for 30 s, the board
// reset after 3 failed captures in a row.
const PolicyConfig kConfig = {20000, {1000, 8000, 30000}, 3};

typedef CameraPolicy<FakeBoard> Policy;

UploadResult http(uint16_t status) { return {UploadError::kNone, status}; }
UploadResult failed(UploadError e) { return {e, 0}; }

// Turns the main loop for ms of the board's time (less if the board resets).
void run(Policy& policy, FakeBoard& board, uint32_t ms) {
  const uint32_t start = board.now;
  while ((uint32_t)(board.now - start) < ms && !board.reboots) {
    policy.poll();
    board.now += kStepMs;
  }
}

// The numbers that follow each occurrence of `after` in the log.
std::vector<uint32_t> numbers_after(const std::string& log, const std::string& after) {
  std::vector<uint32_t> out;
  for (size_t at = log.find(after); at != std::string::npos; at = log.find(after, at + 1)) {
    out.push_back((uint32_t)std::stoul(log.substr(at + after.size())));
  }
  return out;
}

size_t count(const std::string& log, const std::string& what) {
  size_t n = 0;
  for (size_t at = log.find(what); at != std::string::npos; at = log.find(what, at + 1)) ++n;
  return n;
}

// The first frame's outcome for one scripted upload answer (then the board answers 201).
std::string first_frame_log(UploadResult answer) {
  FakeBoard board;
  board.uploads.push_back(answer);
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 15000);  // less than an interval: the first frame only
  return board.log;
}

}  // namespace

TEST_CASE("policy: the first frame is captured at boot, uploaded and logged as the bench reads it") {
  FakeBoard board;
  board.signing = true;
  board.counter = 41;
  Policy policy(board, kConfig);
  policy.boot();
  policy.poll();  // due at once
  policy.poll();  // capture
  CHECK(board.capture_starts == std::vector<uint32_t>{1050});  // boot took the DHCP's 50 ms
  policy.poll();  // upload
  CHECK(board.log ==
        "boot\n"
        "frame 1: signed, counter 42\n"
        "frame 1: captured, JPEG 48213 bytes at 2 of FIFO 53248, burst lead-in 1\n"
        "frame 1: upload attempt 1: HTTP 201 in 300 ms, stored\n");
  CHECK(board.triggers == std::vector<bool>{true});
}

TEST_CASE("policy: every signed status has its verdict: 2xx stored, the final refusals not retried") {
  const uint16_t stored[] = {200, 201, 204, 299};
  const uint16_t retried[] = {100, 301, 400, 404, 408, 409, 428, 429, 500, 502, 503, 599, 999};
  const uint16_t rejected[] = {401, 403, 411, 413, 415, 422};
  for (uint16_t status : stored) {
    CAPTURE(status);
    const std::string log = first_frame_log(http(status));
    CHECK(log.find("upload attempt 1: HTTP " + std::to_string(status) + " in 300 ms, stored\n") !=
          std::string::npos);
    CHECK(count(log, "upload attempt") == 1);
  }
  for (uint16_t status : retried) {
    CAPTURE(status);
    const std::string log = first_frame_log(http(status));
    CHECK(log.find("upload attempt 1: HTTP " + std::to_string(status) + " in 300 ms, retry in ") !=
          std::string::npos);
    CHECK(log.find("upload attempt 2: HTTP 201 in 300 ms, stored\n") != std::string::npos);
  }
  for (uint16_t status : rejected) {
    CAPTURE(status);
    const std::string log = first_frame_log(http(status));
    CHECK(log.find("upload attempt 1: HTTP " + std::to_string(status) +
                   " in 300 ms, rejected: not retried\n") != std::string::npos);
    CHECK(count(log, "upload attempt") == 1);
  }
}

TEST_CASE("policy: an answer the service did not sign is retried, whatever its status") {
  for (uint16_t status : {200, 201, 204, 403, 503}) {
    CAPTURE(status);
    UploadResult untrusted = {UploadError::kUntrusted, status};
    const std::string log = first_frame_log(untrusted);
    CHECK(log.find("upload attempt 1: HTTP " + std::to_string(status) +
                   ", answer not from the service in 300 ms, retry in ") != std::string::npos);
    CHECK(log.find("upload attempt 2: HTTP 201 in 300 ms, stored\n") != std::string::npos);
  }
}

TEST_CASE("policy: every upload error has its verdict") {
  struct Case {
    UploadError error;
    const char* logged;
    bool retried;
  };
  const Case cases[] = {
      {UploadError::kConnect, "connect failed", true},
      {UploadError::kSend, "connection lost while sending", true},
      {UploadError::kNoResponse, "no response", true},
      {UploadError::kBadResponse, "malformed response", true},
      {UploadError::kNoHost, "host not resolved (DNS)", true},
      {UploadError::kFrameLost, "FIFO read back differently, body withheld", true},
      {UploadError::kHeadTooLarge, "request head too large", false},  // a configuration error
  };
  for (const Case& c : cases) {
    CAPTURE(c.logged);
    const std::string log = first_frame_log(failed(c.error));
    const std::string head = std::string("frame 1: upload attempt 1: ") + c.logged + " in 300 ms, ";
    CHECK(log.find(head + (c.retried ? "retry in " : "rejected: not retried\n")) !=
          std::string::npos);
    CHECK(count(log, "upload attempt") == (c.retried ? 2u : 1u));
    if (c.retried) CHECK(log.find("upload attempt 2: HTTP 201") != std::string::npos);
  }
}

TEST_CASE("policy: a frame lost in the FIFO slows the camera and is scanned again, same budget") {
  FakeBoard board;
  board.uploads = {failed(UploadError::kFrameLost), failed(UploadError::kFrameLost)};
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 15000);
  CHECK(board.slowdowns == 2);
  // One new frame, then a rescan (no trigger) before each retry.
  CHECK(board.triggers == std::vector<bool>{true, false, false});
  // The attempts go on counting: the rescan neither starts the frame over nor restarts its budget.
  CHECK(numbers_after(board.log, "upload attempt ") == std::vector<uint32_t>{1, 2, 3});
  CHECK(count(board.log, "frame 1: captured") == 3);
  CHECK(board.log.find("frame 2") == std::string::npos);
}

TEST_CASE("policy: a rescan does not restart the retry budget") {
  FakeBoard board;
  for (int i = 0; i < 40; ++i) board.uploads.push_back(failed(UploadError::kFrameLost));
  board.randoms = {0};  // the first delay as long as it gets; the rest from the sequence
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 60000);
  REQUIRE(count(board.log, "retry budget spent: frame dropped\n") >= 1);
  // The first frame's last attempt still started within 30 s of its first.
  const uint32_t first = board.upload_starts.front();
  const size_t attempts = numbers_after(board.log, "frame 1: upload attempt ").size();
  CHECK(board.upload_starts[attempts - 1] - first <= 30000);
  CHECK(board.upload_starts[attempts - 1] - first > 30000 - 8000 - 400);
}

TEST_CASE("policy: without a network address or a resolved host the frame is retried") {
  FakeBoard board;
  board.dhcp_answers = false;
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 500);
  CHECK(board.log.find("frame 1: upload attempt 1: no network address (DHCP) in 50 ms, retry in ") !=
        std::string::npos);
  CHECK(board.upload_starts.empty());
  board.dhcp_answers = true;  // the server comes back: the next attempt gets an address
  run(policy, board, 5000);
  CHECK(board.log.find("frame 1: upload attempt 2: HTTP 201 in 350 ms, stored\n") !=
        std::string::npos);
}

TEST_CASE("policy: while idle without a network, DHCP is tried again once a minute") {
  FakeBoard board;
  board.dhcp_answers = false;
  const PolicyConfig config = {300000, {1000, 8000, 30000}, 3};  // 5 min between frames
  Policy policy(board, config);
  policy.boot();
  run(policy, board, 290000);
  // The frame's attempts each tried DHCP and were dropped after the 30 s budget; from the last,
  // a try each minute while idle.
  REQUIRE(count(board.log, "frame 1: upload attempt") > 3);
  CHECK(count(board.log, "no network address (DHCP)") == count(board.log, "upload attempt"));
  CHECK(count(board.log, "retry budget spent: frame dropped") == 1);
  const size_t from_frame = 1 + count(board.log, "upload attempt");  // boot, then each attempt
  REQUIRE(board.network_tries.size() == from_frame + 4);  // 4 idle minutes before frame 2
  for (size_t i = from_frame; i < board.network_tries.size(); ++i) {
    CAPTURE(i);
    const uint32_t gap = board.network_tries[i] - board.network_tries[i - 1];
    CHECK(gap >= 60000);
    CHECK(gap <= 60000 + board.dhcp_ms + kStepMs);
  }
}

TEST_CASE("policy: retry delays are min(cap, base * 2^(n-1)) = d jittered into [d/2, d]") {
  for (uint32_t random : {0u, 1u, 500u, 1000u, 4000u, 0xFFFFFFFFu, 12345u}) {
    CAPTURE(random);
    FakeBoard board;
    for (int i = 0; i < 20; ++i) board.uploads.push_back(http(503));
    for (int i = 0; i < 20; ++i) board.randoms.push_back(random);
    Policy policy(board, kConfig);
    policy.boot();
    run(policy, board, 19000);  // the first frame's attempts only
    const std::vector<uint32_t> delays = numbers_after(board.log, "retry in ");
    REQUIRE(delays.size() >= 4);
    for (size_t n = 1; n <= delays.size(); ++n) {
      uint32_t d = 1000;
      for (size_t k = 1; k < n; ++k) d = d * 2 > 8000 ? 8000 : d * 2;
      CAPTURE(n);
      CHECK(delays[n - 1] >= d / 2);
      CHECK(delays[n - 1] <= d);
      CHECK(delays[n - 1] == backoff_delay_ms(kConfig.retry, (uint8_t)n, random));
      // And it waits that long: from the end of one attempt to the start of the next.
      if (n < board.upload_starts.size()) {
        const uint32_t waited = board.upload_starts[n] - board.upload_ends[n - 1];
        CHECK(waited >= delays[n - 1]);
        CHECK(waited <= delays[n - 1] + 2 * kStepMs);
      }
    }
  }
}

TEST_CASE("policy: the retry budget bounds the attempts, then the frame is dropped") {
  for (uint32_t random : {0u, 0xFFFFFFFFu}) {
    CAPTURE(random);
    FakeBoard board;
    for (int i = 0; i < 100; ++i) board.uploads.push_back(http(503));
    board.randoms = std::deque<uint32_t>(100, random);
    Policy policy(board, kConfig);
    policy.boot();
    run(policy, board, 39000);  // frame 1, and frame 2 due at 20 s while frame 1 still retries
    const std::string dropped = ", retry budget spent: frame dropped\n";
    REQUIRE(count(board.log, dropped) >= 1);
    const size_t at = board.log.find(dropped);
    const size_t n = numbers_after(board.log.substr(0, at), "upload attempt ").size();
    REQUIRE(board.upload_ends.size() >= n);
    // After each attempt: retried while the retry would start within 30 s of the first attempt
    // (the budget starts when the frame was captured), dropped after the first that would not.
    const uint32_t first = board.capture_starts[0] + board.capture_ms;
    for (size_t k = 1; k <= n; ++k) {
      CAPTURE(k);
      const uint32_t elapsed = board.upload_ends[k - 1] - first;
      const uint32_t delay = backoff_delay_ms(kConfig.retry, (uint8_t)k, random);
      CHECK((elapsed + delay <= 30000) == (k < n));
    }
    // Frame 2 is taken after frame 1 was dropped, as a new frame.
    CHECK(board.log.find("frame 2: captured") > at);
    CHECK(board.triggers.size() == 2);
    CHECK(board.triggers[1] == true);
  }
}

TEST_CASE("policy: capture failures are retried with backoff, and the board resets after 3") {
  FakeBoard board;
  board.captures = {CaptureError::kTimeout, CaptureError::kNoImage, CaptureError::kUnsteady};
  board.randoms = {0, 0, 0};
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 60000);
  CHECK(board.reboots == 1);
  CHECK(board.flushed_before_reboot);
  CHECK(board.log ==
        "boot\n"
        "frame 1: capture failed: capture timeout; retry in 500 ms\n"
        "frame 1: capture failed: no JPEG in FIFO; retry in 1000 ms\n"
        "frame 1: capture failed: FIFO reads disagree; resetting the board\n");
  // Only a capture that came back with a FIFO that makes no sense slows the bus down.
  CHECK(board.slowdowns == 2);
  // The camera is set up again before each retry.
  CHECK(board.camera_bring_ups == 1 + 2);
  CHECK(board.upload_starts.empty());
}

TEST_CASE("policy: a camera that does not come up counts as a failed capture") {
  FakeBoard board;
  board.camera_answers = false;
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 60000);
  CHECK(board.capture_starts.empty());
  CHECK(count(board.log, "frame 1: capture failed: camera not ready; retry in ") == 2);
  CHECK(count(board.log, "frame 1: capture failed: camera not ready; resetting the board\n") == 1);
  CHECK(board.reboots == 1);
}

TEST_CASE("policy: a good capture between failures starts the count again") {
  FakeBoard board;
  board.captures = {CaptureError::kTimeout, CaptureError::kTimeout, CaptureError::kNone,
                    CaptureError::kTimeout, CaptureError::kTimeout, CaptureError::kNone};
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 35000);
  CHECK(board.reboots == 0);
  CHECK(count(board.log, ", stored\n") == 2);
}

TEST_CASE("policy: frames are captured at each interval and keep the cadence") {
  FakeBoard board;
  board.upload_ms = 4321;  // the work takes time; the cadence must not drift by it
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 5 * 20000 + 5000);
  REQUIRE(board.capture_starts.size() == 6);
  for (size_t i = 1; i < board.capture_starts.size(); ++i) {
    CAPTURE(i);
    const uint32_t since_first = board.capture_starts[i] - board.capture_starts[0];
    CHECK(since_first >= 20000 * i);
    CHECK(since_first <= 20000 * i + kStepMs);
  }
  CHECK(count(board.log, ", stored\n") == 6);
}

TEST_CASE("policy: after retries longer than an interval, one frame at once, then the cadence") {
  FakeBoard board;
  // 503 for the whole 30 s budget: frame 1 ends about 30 s in, a whole interval late.
  for (int i = 0; i < 9; ++i) board.uploads.push_back(http(503));
  board.randoms = std::deque<uint32_t>(20, 0xFFFFFFFF);
  const PolicyConfig config = {20000, {1000, 8000, 60000}, 3};
  Policy policy(board, config);
  policy.boot();
  run(policy, board, 120000);
  REQUIRE(board.capture_starts.size() >= 3);
  // No burst: never two captures closer than the time an upload takes, ...
  for (size_t i = 1; i < board.capture_starts.size(); ++i) {
    CAPTURE(i);
    CHECK(board.capture_starts[i] - board.capture_starts[i - 1] >= 5000);
  }
  // ... and after the late frame, the next a whole interval later.
  const uint32_t late = board.capture_starts[1];
  CHECK(late - board.capture_starts[0] > 40000);
  CHECK(board.capture_starts[2] - late >= 20000);
  CHECK(board.capture_starts[2] - late <= 20000 + kStepMs);
}

TEST_CASE("policy: across the millis() wrap, no burst of frames and no wait that never ends") {
  FakeBoard board;
  // Frame 3 (40 s in) meets a 503, and the clock wraps in the middle of the wait before its retry.
  board.now = 0xFFFFFFFFu - 40719;
  board.uploads = {http(201), http(201), http(503), http(503)};
  board.randoms = std::deque<uint32_t>(20, 0);
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 150000);
  REQUIRE(board.capture_starts.size() >= 7);
  for (size_t i = 1; i < board.capture_starts.size(); ++i) {
    CAPTURE(i);
    const uint32_t gap = board.capture_starts[i] - board.capture_starts[i - 1];
    CHECK(gap >= 20000);
    CHECK(gap <= 20000 + kStepMs);
  }
  CHECK(board.capture_starts.size() == 8);  // 0, 20, ... 140 s: one per interval
  // The retries across the wrap waited their delays, no more and no less.
  REQUIRE(board.upload_starts.size() >= 5);
  CHECK(board.upload_starts[3] - board.upload_ends[2] >= 500);
  CHECK(board.upload_starts[3] - board.upload_ends[2] <= 500 + 2 * kStepMs);
  CHECK(board.upload_starts[4] - board.upload_ends[3] >= 1000);
  CHECK(board.upload_starts[4] - board.upload_ends[3] <= 1000 + 2 * kStepMs);
  CHECK(board.upload_starts[3] < board.upload_ends[2]);  // the wrap fell in the first wait
  CHECK(count(board.log, ", stored\n") == 8);
}

TEST_CASE("policy: a wait that started just before the wrap ends on time after it") {
  FakeBoard board;
  board.now = 0xFFFFFFFFu - 300;  // the retry's wait starts 140 ms before the wrap
  board.captures = {CaptureError::kTimeout};
  board.randoms = {0};  // 500 ms
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 5000);
  REQUIRE(board.capture_starts.size() == 2);
  const uint32_t waited = board.capture_starts[1] - (board.capture_starts[0] + board.capture_ms);
  CHECK(waited >= 500);
  CHECK(waited <= 500 + 2 * kStepMs);
  CHECK(board.capture_starts[1] < board.capture_starts[0]);  // the wrap fell in the wait
}

TEST_CASE("policy: after a reset, a fresh policy captures right away, whatever the clock says") {
  for (uint32_t start : {0u, 1000u, 123456789u, 0x7FFFFFFFu, 0xFFFFFFFFu - 5u}) {
    CAPTURE(start);
    FakeBoard board;
    board.captures = {CaptureError::kTimeout, CaptureError::kTimeout, CaptureError::kTimeout};
    board.now = start;
    {
      Policy policy(board, kConfig);
      policy.boot();
      run(policy, board, 60000);
    }
    REQUIRE(board.reboots == 1);
    board.reboots = 0;
    board.log.clear();
    board.capture_starts.clear();
    Policy fresh(board, kConfig);  // what the board runs after the reset
    fresh.boot();
    const uint32_t booted = board.now;
    run(fresh, board, 3 * kStepMs);
    REQUIRE(board.capture_starts.size() == 1);
    CHECK(board.capture_starts[0] - booted <= 2 * kStepMs);
    CHECK(board.log.find("frame 1: captured") != std::string::npos);
  }
}
