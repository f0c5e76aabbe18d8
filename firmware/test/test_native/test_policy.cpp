// The camera's policy (camera_policy.h) on a fake board: a clock the test moves, scripted capture
// and upload outcomes, and the log as a string. Each test checks a decision the board only makes in
// the simulator otherwise: what each answer means, how long it waits, when it gives up or resets,
// and when it captures (also across the millis() wrap and after a reset, and as the service's
// signed answers say: Next=, the hello at boot).
//
// Unless a test scripts it, the fake's service signs nothing about the schedule (no Next=) and the
// hello at boot gets no answer (the service down): the camera then does what it did before the
// service kept schedules (capture at once, then every interval), which most tests here check.
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
  // The signed answer's Next= of each request (upload or hello), in turn; when empty, kNoNext.
  std::deque<uint32_t> nexts;
  UploadResult hello_answer = {UploadError::kConnect, 0};
  bool camera_answers = true;
  bool dhcp_answers = true;
  bool card = false;        // a card with the queue's label in the slot
  bool restored = false;    // the reset left an unacknowledged frame in the FIFO

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
  std::vector<uint32_t> uploaded;  // the counter each attempt sent
  std::vector<uint8_t> tries;      // the attempt each upload reported (the health's tries)
  std::vector<uint32_t> hellos;    // when each hello was sent
  uint32_t next = kNoNext;         // the last request's
  std::deque<uint32_t> kept;       // the card's queue: counters, oldest first
  uint32_t in_fifo = 0;            // the counter of the frame in the FIFO
  uint32_t lost = 0;
  int frames_done = 0;

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
      if (trigger) in_fifo = ++counter;
    }
    return err;
  }
  uint32_t frame_counter() { return counter; }
  bool restore_frame(FrameExtent* frame) {
    if (!restored) return false;
    *frame = FrameExtent{};
    frame->length = 48213;
    in_fifo = counter;
    return true;
  }
  void slow_camera_bus() { ++slowdowns; }
  void report_camera_bus() {}
  UploadResult upload(const FrameExtent&, uint8_t attempt) {
    tries.push_back(attempt);
    return send(in_fifo);
  }
  UploadResult hello() {
    hellos.push_back(now);
    take_next();
    return hello_answer;
  }
  uint32_t next_capture_s() { return next; }
  void take_next() {
    next = kNoNext;
    if (!nexts.empty()) {
      next = nexts.front();
      nexts.pop_front();
    }
  }
  void frame_done() { ++frames_done; }
  bool keep_frame(const FrameExtent&) {
    if (!card) return false;
    kept.push_back(in_fifo);
    return true;
  }
  uint32_t frames_kept() { return card ? (uint32_t)kept.size() : 0; }
  UploadResult upload_kept(uint32_t* c, uint8_t attempt) {
    tries.push_back(attempt);
    return send(*c = kept.front());
  }
  void kept_done(bool given_up) {
    kept.pop_front();
    if (given_up) ++lost;
  }
  void count_lost() { ++lost; }
  uint32_t frames_lost() { return lost; }
  UploadResult send(uint32_t c) {
    uploaded.push_back(c);
    take_next();
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

// 20 s between frames, retries from 1 s doubling up to 8 s, the board reset after 3 failed
// captures in a row.
const PolicyConfig kConfig = {20000, {1000, 8000}, 3};

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
  board.counter = 41;
  Policy policy(board, kConfig);
  policy.boot();
  policy.poll();  // the hello, unanswered: due at once
  policy.poll();  // capture
  CHECK(board.capture_starts == std::vector<uint32_t>{1050});  // boot took the DHCP's 50 ms
  policy.poll();  // upload
  CHECK(board.log ==
        "boot\n"
        "hello: connect failed\n"
        "no signed answer: capturing now\n"
        "frame 1: captured, counter 42, JPEG 48213 bytes at 2 of FIFO 53248, burst lead-in 1\n"
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
                   " in 300 ms, rejected: not retried, frame lost (1 since boot)\n") !=
          std::string::npos);
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
    CHECK(log.find(head + (c.retried ? "retry in " : "rejected: not retried, frame lost")) !=
          std::string::npos);
    CHECK(count(log, "upload attempt") == (c.retried ? 2u : 1u));
    if (c.retried) CHECK(log.find("upload attempt 2: HTTP 201") != std::string::npos);
  }
}

TEST_CASE("policy: a frame lost in the FIFO slows the camera and is scanned again") {
  FakeBoard board;
  board.uploads = {failed(UploadError::kFrameLost), failed(UploadError::kFrameLost)};
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 15000);
  CHECK(board.slowdowns == 2);
  // One new frame, then a rescan (no trigger) before each retry.
  CHECK(board.triggers == std::vector<bool>{true, false, false});
  // The attempts go on counting: the rescan does not start the frame over.
  CHECK(numbers_after(board.log, "upload attempt ") == std::vector<uint32_t>{1, 2, 3});
  CHECK(count(board.log, "frame 1: captured, counter 1, ") == 3);  // one frame, one counter
  CHECK(board.uploaded == std::vector<uint32_t>{1, 1, 1});
  CHECK(board.log.find("frame 2") == std::string::npos);
}

TEST_CASE("policy: a rescan that finds the frame gone counts it lost and captures anew") {
  FakeBoard board;
  board.uploads = {failed(UploadError::kFrameLost)};
  board.captures = {CaptureError::kNone, CaptureError::kNoImage};  // the rescan finds no JPEG
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 15000);
  CHECK(board.triggers == std::vector<bool>{true, false, true});
  CHECK(board.log.find("frame 1: capture failed: no JPEG in FIFO, frame lost (1 since boot)\n") !=
        std::string::npos);
  CHECK(board.lost == 1);
  CHECK(board.uploaded == std::vector<uint32_t>{1, 2});
  CHECK(count(board.log, ", stored\n") == 1);
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
  const PolicyConfig config = {300000, {1000, 8000}, 3};  // 5 min between frames
  board.uploads = {failed(UploadError::kConnect)};  // with an address, the first attempt fails
  Policy policy(board, config);
  policy.boot();
  board.dhcp_answers = true;
  run(policy, board, 1000);
  board.dhcp_answers = false;
  board.lease = false;  // the lease is lost: the frame still waits for an upload
  run(policy, board, 30000);
  // Each attempt tries DHCP itself, so nothing else does while the frame waits.
  const size_t attempts = count(board.log, "upload attempt");
  REQUIRE(attempts > 3);
  CHECK(board.network_tries.size() == attempts + 1);  // boot, then each attempt
  board.log.clear();
  board.uploads = {};
  board.dhcp_answers = true;
  run(policy, board, 10000);
  REQUIRE(board.log.find(", stored\n") != std::string::npos);
  // Idle without a network: DHCP once a minute until frame 2.
  board.dhcp_answers = false;
  board.lease = false;
  const size_t from_idle = board.network_tries.size();
  run(policy, board, 245000);
  REQUIRE(board.network_tries.size() == from_idle + 4);
  for (size_t i = from_idle + 1; i < board.network_tries.size(); ++i) {
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

TEST_CASE("policy: a frame is retried until the next capture is due, then lost without a card") {
  for (uint32_t random : {0u, 0xFFFFFFFFu}) {
    CAPTURE(random);
    FakeBoard board;
    for (int i = 0; i < 100; ++i) board.uploads.push_back(http(503));
    board.randoms = std::deque<uint32_t>(100, random);
    Policy policy(board, kConfig);
    policy.boot();
    run(policy, board, 39000);  // frame 1, and frame 2 due at 20 s while frame 1 still retries
    const std::string lost =
        "frame 1: not uploaded before the next capture\nframe 1: not kept, frame lost (1 since boot)\n";
    REQUIRE(count(board.log, lost) == 1);
    const size_t at = board.log.find(lost);
    // Frame 1's attempts went on until frame 2 was due: the last one started within a delay of it.
    const size_t n = numbers_after(board.log.substr(0, at), "upload attempt ").size();
    REQUIRE(n >= 4);
    const uint32_t due = board.capture_starts[0] + 20000;
    CHECK(board.upload_starts[n - 1] < due);
    CHECK(board.upload_starts[n - 1] + board.upload_ms + 8000 >= due);
    // The capture goes ahead on time, cutting the wait short, and frame 2 is a new frame.
    CHECK(board.capture_starts[1] - board.capture_starts[0] <= 20000 + kStepMs);
    CHECK(board.triggers == std::vector<bool>{true, true});
    CHECK(board.lost == 1);
    CHECK(board.frames_done == 1);  // the record of the lost frame is cleared
    CHECK(board.log.find("frame 2: captured") > at);
  }
}

TEST_CASE("policy: with a card, an outage keeps every frame, and they go up oldest first") {
  FakeBoard board;
  board.card = true;
  for (int i = 0; i < 40; ++i) board.uploads.push_back(failed(UploadError::kConnect));
  board.randoms = std::deque<uint32_t>(200, 0);
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 4 * 20000 + 100);  // frames 1..5 captured, the link down all along
  REQUIRE(board.uploads.size() < 40);
  CHECK(count(board.log, "not uploaded before the next capture\n") == 4);
  CHECK(count(board.log, "not kept") == 0);
  CHECK(board.kept == std::deque<uint32_t>{1, 2, 3, 4});
  CHECK(board.lost == 0);
  board.uploads.clear();  // the link is back
  run(policy, board, 15000);
  // Oldest first, then the frame in the FIFO; every counter once, in order.
  std::vector<uint32_t> stored;
  for (size_t i = 0; i < board.uploaded.size(); ++i) {
    if (i >= board.uploaded.size() - 5) stored.push_back(board.uploaded[i]);
  }
  CHECK(stored == std::vector<uint32_t>{1, 2, 3, 4, 5});
  CHECK(board.kept.empty());
  CHECK(count(board.log, "kept frame, counter 1: upload attempt") >= 1);
  CHECK(board.log.find("kept frame, counter 4: upload attempt 1: HTTP 201 in 300 ms, stored\n") !=
        std::string::npos);
  // No counter is ever sent after a higher one (the service would refuse it as stale).
  for (size_t i = 1; i < board.uploaded.size(); ++i) CHECK(board.uploaded[i] >= board.uploaded[i - 1]);
}

TEST_CASE("policy: a kept frame the service refuses for good is given up and counted lost") {
  FakeBoard board;
  board.card = true;
  board.kept = {7, 8};
  board.counter = 8;
  board.uploads = {http(403)};
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 5000);
  CHECK(board.log.find("kept frame, counter 7: upload attempt 1: HTTP 403 in 300 ms, rejected: not "
                       "retried, frame lost (1 since boot)\n") != std::string::npos);
  CHECK(board.uploaded.front() == 7);
  CHECK(board.uploaded[1] == 8);
  CHECK(board.kept.empty());
  CHECK(board.lost == 1);  // once
}

TEST_CASE("policy: a frame the reset left in the FIFO is sent before the camera is set up") {
  FakeBoard board;
  board.restored = true;
  board.counter = 12;
  Policy policy(board, kConfig);
  policy.boot();
  CHECK(board.camera_bring_ups == 0);  // its CPLD reset might clear the FIFO
  run(policy, board, 5000);
  CHECK(board.uploaded == std::vector<uint32_t>{12});
  CHECK(board.capture_starts.empty());  // the next capture an interval later
  run(policy, board, 16000);
  REQUIRE(board.capture_starts.size() == 1);
  CHECK(board.camera_bring_ups == 1);
  CHECK(board.uploaded == std::vector<uint32_t>{12, 13});
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
        "hello: connect failed\n"
        "no signed answer: capturing now\n"
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
  // Capture failures for longer than an interval: the frame comes a whole interval late.
  board.captures = {CaptureError::kTimeout, CaptureError::kTimeout};
  board.capture_ms = 2500;  // each attempt waits for the capture-done flag
  board.randoms = std::deque<uint32_t>(20, 0xFFFFFFFF);
  const PolicyConfig config = {20000, {25000, 30000}, 3};
  Policy policy(board, config);
  policy.boot();
  run(policy, board, 120000);
  REQUIRE(board.capture_starts.size() >= 4);  // two failed attempts, frame 1, frame 2
  // No burst: never two captures closer than the time an upload takes, ...
  for (size_t i = 1; i < board.capture_starts.size(); ++i) {
    CAPTURE(i);
    CHECK(board.capture_starts[i] - board.capture_starts[i - 1] >= 5000);
  }
  // ... frame 1 is kept and uploaded, not given up for the capture that came due meanwhile, ...
  const uint32_t late = board.capture_starts[2];
  CHECK(late - board.capture_starts[0] > 40000);
  CHECK(board.log.find("frame 1: upload attempt 1: HTTP 201 in 300 ms, stored\n") !=
        std::string::npos);
  CHECK(board.lost == 0);
  // ... and the next frame a whole interval after it.
  CHECK(board.capture_starts[3] - late >= 20000);
  CHECK(board.capture_starts[3] - late <= 20000 + board.capture_ms + kStepMs);
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

namespace {

// Turns the main loop for ms of the board's time in steps of step_ms (long waits: days).
void run_coarse(Policy& policy, FakeBoard& board, uint64_t ms, uint32_t step_ms) {
  for (uint64_t t = 0; t < ms && !board.reboots; t += step_ms) {
    policy.poll();
    board.now += step_ms;
  }
}

}  // namespace

TEST_CASE("policy: at boot the hello asks when to capture, and the camera waits for its Next") {
  FakeBoard board;
  board.hello_answer = http(200);
  board.nexts = {120};  // the hello's answer: the next capture in 2 minutes
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 119000);
  CHECK(board.hellos == std::vector<uint32_t>{1050});  // once the network is up
  CHECK(board.capture_starts.empty());                 // nothing captured at boot
  CHECK(board.log == "boot\nhello: HTTP 200\nnext capture in 120 s\n");
  run(policy, board, 2000);
  REQUIRE(board.capture_starts.size() == 1);
  CHECK(board.capture_starts[0] - board.hellos[0] >= 120000);
  CHECK(board.capture_starts[0] - board.hellos[0] <= 120000 + kStepMs);
  CHECK(board.uploaded == std::vector<uint32_t>{1});
}

TEST_CASE("policy: each signed answer's Next sets the next capture; without one, the interval") {
  FakeBoard board;
  board.hello_answer = http(200);
  board.nexts = {30, 45};  // the hello's, then frame 1's; frame 2's answer carries none
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 30000 + 45000 + 20000 + 5000);
  REQUIRE(board.capture_starts.size() == 3);
  const uint32_t hello = board.hellos[0];
  CHECK(board.capture_starts[0] - hello >= 30000);
  CHECK(board.capture_starts[0] - hello <= 30000 + kStepMs);
  // Frame 1's answer came at the end of its upload: 45 s from then, not 20 s (the interval).
  CHECK(board.capture_starts[1] - board.upload_ends[0] >= 45000);
  CHECK(board.capture_starts[1] - board.upload_ends[0] <= 45000 + kStepMs);
  // Frame 2's answer said nothing of the schedule: the interval from frame 2's capture.
  CHECK(board.capture_starts[2] - board.capture_starts[1] >= 20000);
  CHECK(board.capture_starts[2] - board.capture_starts[1] <= 20000 + kStepMs);
  CHECK(count(board.log, "next capture in ") == 2);
}

TEST_CASE("policy: Next is bounded: at least 5 s, at most 8 days (the service's MAX_NEXT_S)") {
  CHECK(kMinNextS == 5);
  CHECK(kMaxNextS == 691200);
  CHECK(bounded_next_s(0) == 5);
  CHECK(bounded_next_s(4) == 5);
  CHECK(bounded_next_s(5) == 5);
  CHECK(bounded_next_s(6) == 6);
  CHECK(bounded_next_s(691200) == 691200);
  CHECK(bounded_next_s(691201) == 691200);
  CHECK(bounded_next_s(0xFFFFFFFEu) == 691200);
  for (uint32_t next : {0u, 1u, 4u}) {  // too short: 5 s
    CAPTURE(next);
    FakeBoard board;
    board.hello_answer = http(200);
    board.nexts = {next};
    Policy policy(board, kConfig);
    policy.boot();
    run(policy, board, 4900);
    CHECK(board.capture_starts.empty());
    run(policy, board, 200);
    REQUIRE(board.capture_starts.size() == 1);
    CHECK(board.capture_starts[0] - board.hellos[0] >= 5000);
    CHECK(board.log.find("next capture in 5 s\n") != std::string::npos);
  }
}

TEST_CASE("policy: the longest Next (8 days, and more said) is waited out, across the millis() wrap") {
  for (uint32_t next : {691200u, 691201u, 9999999u}) {
    CAPTURE(next);
    FakeBoard board;
    board.now = 0xFFFFFFFFu - 1000000;  // millis() wraps a quarter of an hour into the wait
    board.hello_answer = http(200);
    board.nexts = {next};
    const PolicyConfig config = {3600000, {1000, 8000}, 3};  // an interval of 1 h
    Policy policy(board, config);
    policy.boot();
    run_coarse(policy, board, 691200ull * 1000 - 2000, 1000);
    CHECK(board.capture_starts.empty());  // neither at the interval nor at the wrap
    run_coarse(policy, board, 4000, 10);
    REQUIRE(board.capture_starts.size() == 1);
    const uint32_t waited = board.capture_starts[0] - board.hellos[0];
    CHECK(waited >= 691200u * 1000);
    CHECK(waited <= 691200u * 1000 + 1000);
    CHECK(board.log.find("next capture in 691200 s\n") != std::string::npos);
  }
}

TEST_CASE("policy: a hello without a signed answer: capture at once, then every interval") {
  const UploadResult unanswered[] = {failed(UploadError::kConnect), failed(UploadError::kNoHost),
                                     {UploadError::kUntrusted, 200}};
  for (const UploadResult& answer : unanswered) {
    FakeBoard board;
    board.hello_answer = answer;
    Policy policy(board, kConfig);
    policy.boot();
    run(policy, board, 45000);
    CHECK(board.hellos.size() == 1);  // not retried
    REQUIRE(board.capture_starts.size() == 3);
    CHECK(board.capture_starts[0] - board.hellos[0] <= kStepMs);
    CHECK(board.capture_starts[1] - board.capture_starts[0] == 20000);
    CHECK(board.log.find("no signed answer: capturing now\n") != std::string::npos);
  }
  FakeBoard board;  // no network at boot: no hello can go, and the camera captures at once
  board.dhcp_answers = false;
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 100);
  CHECK(board.hellos.empty());
  CHECK(board.log.find("hello: no network address (DHCP)\nno signed answer: capturing now\n") !=
        std::string::npos);
  CHECK(board.capture_starts.size() == 1);
}

TEST_CASE("policy: a frame the reset left in the FIFO goes first, no hello, its Next applies") {
  FakeBoard board;
  board.restored = true;
  board.counter = 12;
  board.nexts = {300};
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 299000);
  CHECK(board.uploaded == std::vector<uint32_t>{12});
  CHECK(board.hellos.empty());
  CHECK(board.capture_starts.empty());  // not at the interval (20 s): Next said 300 s
  run(policy, board, 2000);
  REQUIRE(board.capture_starts.size() == 1);
  CHECK(board.capture_starts[0] - board.upload_ends[0] >= 300000);
}

TEST_CASE("policy: frames kept on the card go up before the hello, and the newest Next wins") {
  FakeBoard board;
  board.card = true;
  board.kept = {7, 8};
  board.counter = 8;
  board.nexts = {600, 90};  // kept frame 7's answer, then kept frame 8's
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 89000);
  CHECK(board.uploaded == std::vector<uint32_t>{7, 8});
  CHECK(board.hellos.empty());  // their answers said when: no hello needed
  CHECK(board.capture_starts.empty());
  run(policy, board, 2000);
  REQUIRE(board.capture_starts.size() == 1);
  CHECK(board.capture_starts[0] - board.upload_ends[1] >= 90000);
  CHECK(board.capture_starts[0] - board.upload_ends[1] <= 90000 + kStepMs);
}

TEST_CASE("policy: every upload reports its frame's attempt (the health's tries)") {
  FakeBoard board;
  board.uploads = {http(503), failed(UploadError::kConnect), http(201)};
  board.randoms = std::deque<uint32_t>(10, 0);
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 15000);
  CHECK(board.tries == std::vector<uint8_t>{1, 2, 3});
  run(policy, board, 10000);  // frame 2: its first attempt again
  CHECK(board.tries == std::vector<uint8_t>{1, 2, 3, 1});
}

TEST_CASE("policy: an attempt that never reaches the service leaves the last answer's Next alone") {
  FakeBoard board;
  board.hello_answer = http(200);
  board.nexts = {10, 60};  // the hello's; frame 1's first attempt (a signed 503)
  board.uploads = {http(503)};
  board.randoms = std::deque<uint32_t>(40, 0);
  Policy policy(board, kConfig);
  policy.boot();
  run(policy, board, 10000 + board.capture_ms + board.upload_ms + 2 * kStepMs);
  REQUIRE(board.upload_ends.size() == 1);
  board.dhcp_answers = false;  // the lease is lost: the next attempts have no address
  board.lease = false;
  run(policy, board, 61000);
  CHECK(count(board.log, "no network address (DHCP)") >= 3);
  REQUIRE(board.capture_starts.size() == 2);
  CHECK(board.capture_starts[1] - board.upload_ends[0] >= 60000);
  CHECK(board.capture_starts[1] - board.upload_ends[0] <= 60000 + kStepMs);
}
