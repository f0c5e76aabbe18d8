// The camera's job, one turn of the main loop at a time: at each capture time capture a frame and
// upload it, retrying the same frame (still in the FIFO) with backoff until the service has it or
// the next capture is due. Then the frame moves to the queue on the SD card, if there is one, or is
// lost (logged and counted), and the new capture goes ahead. Frames on the card are uploaded first,
// oldest first, whenever the service answers, each with the counter it was signed with at capture
// (the service refuses a counter lower than one it has seen). A frame the board reset left in the
// FIFO is sent before the next capture. Nothing here blocks longer than its configured timeout.
//
// When to capture: the service keeps the camera's schedule, and every answer it signs says how
// long until the next capture (Next=), which sets the next capture from now (bounded: kMinNextS,
// kMaxNextS in camera_steps.h), the newest answer winning; so the resonator's drift is corrected at
// every answer. Without a signed answer the camera keeps its configured interval, counted from the
// last capture. At boot it captures nothing until told: it sends a hello (a signed request without
// a frame) and waits for its answer's Next; a frame the reset left in the FIFO, or frames on the
// card, go first, and their answers tell it as well. No signed answer to the first request after
// boot (the service or the network down): it captures at once and keeps its interval, as a camera
// without a service must.
//
// This is the policy only: every decision (what each answer means, how long to wait, when to give
// up, when to reset the board) and the log lines that report them. The steps themselves run on a
// Board, given as the template parameter; CameraBoard (lib/camera_board) is the real one, the host
// tests (firmware/test/test_native/test_policy.cpp) hand a scripted fake. A Board has these plain
// members:
//   uint32_t millis();                      the clock (wraps every 49.7 days)
//   void kick_watchdog();
//   void reboot();                          resets the board; does not return on the board itself
//   uint32_t random();                      any 32-bit value, for the retry delays' jitter
//   void print_P(const char* s);            the log: a string in flash (PSTR, pgm.h)
//   void print(uint32_t n);                 the log: a number in decimal
//   void println();                         the log: end of line
//   void flush();                           the log: wait until it has gone out (before reboot)
//   void begin();                           logs the banner and the settings, starts the buses
//   bool restore_frame(FrameExtent* frame); the unacknowledged frame a reset left in the FIFO, if
//                                           it is still there (else counted lost); call before
//                                           bring_up_camera(), which may clear the FIFO
//   bool bring_up_camera();                 sets the camera up; false (logged why) if it fails
//   bool bring_up_network();                brings up the network chip and acquires a DHCP lease
//   bool keep_network(uint32_t now_ms);     renews the lease when due; false when none is held
//   bool network_up();                      whether a lease is held
//   CaptureError capture(bool trigger, FrameExtent* frame);
//                                           a new frame (trigger) or a rescan of the one in the
//                                           FIFO; a frame is signed when a secret is set
//   uint32_t frame_counter();               the last frame's signed counter
//   void slow_camera_bus();                 the camera's SPI clock to its slower rate for good
//   void report_camera_bus();               logs the camera's bus settings when they changed
//   UploadResult upload(const FrameExtent& frame, uint8_t tries);
//                                           resolves the host and sends the frame in the FIFO
//                                           (tries: this frame's attempt, for the health report);
//                                           kNoHost when the name does not resolve
//   UploadResult hello();                   the same request without a frame: when to capture
//   uint32_t next_capture_s();              the last request's signed answer's Next= (seconds),
//                                           kNoNext when it had no signed answer
//   void frame_done();                      the frame in the FIFO is the service's, or given up
//   bool keep_frame(const FrameExtent& frame);
//                                           moves the frame in the FIFO to the card's queue;
//                                           false when there is no usable card
//   uint32_t frames_kept();                 frames in the card's queue
//   UploadResult upload_kept(uint32_t* counter, uint8_t tries);
//                                           sends the oldest kept frame (counter: its counter)
//   void kept_done(bool lost);              removes the oldest kept frame: stored, or given up
//                                           (then counted lost)
//   void count_lost();                      the frame in the FIFO never reaches the service
//   uint32_t frames_lost();                 frames lost since boot
//
// Why a template parameter: on the AVR an abstract class with virtual functions puts its vtable in
// RAM, which the stack needs; a struct of function pointers in flash would keep RAM free but make
// every step an indirect call that the compiler cannot inline (nor see through for the stack).
// A template costs nothing on the board: CameraPolicy<CameraBoard> compiles to what one class that
// did both would, and the fake needs no base class.
#pragma once
#include <backoff.h>
#include <camera_steps.h>
#include <http_status.h>
#include <interval.h>
#include <pgm.h>
#include <stdint.h>

struct PolicyConfig {
  uint32_t interval_ms;      // from one capture to the next
  BackoffPolicy retry;       // delays between upload attempts
  uint8_t capture_attempts;  // failed captures in a row after which the board resets
};

template <class Board>
class CameraPolicy {
 public:
  static const uint32_t kNetworkRetryMs = 60000;  // while there is no network, try again this often

  // constexpr: the board's one policy is a global, then set up without code.
  constexpr CameraPolicy(Board& board, const PolicyConfig& config) : board_(board), cfg_(config) {}
  void boot();  // logs the settings, checks the camera, brings up the network
  void poll();  // call from loop()

 private:
  bool bring_up_network();
  bool sending() { return in_fifo_ || board_.frames_kept() != 0; }
  void next_frame();
  void capture();
  bool upload();  // true: the service answered (signed)
  bool hello();
  void heard(bool answered);
  void log_result(const UploadResult& r);
  void done(bool kept, bool lost);
  void wait(uint32_t ms);
  void log_frame();
  void log_lost();
  void log_P(const char* s) { board_.print_P(s); }
  void log_line_P(const char* s) {
    board_.print_P(s);
    board_.println();
  }

  Board& board_;
  const PolicyConfig& cfg_;
  IntervalSchedule schedule_;
  bool capturing_ = false;     // a capture (or a rescan) is under way, with its retries
  bool in_fifo_ = false;       // the FIFO holds a frame the service does not have yet
  bool camera_ok_ = false;
  bool rescan_ = false;        // the FIFO read back differently: scan the same frame again
  bool hello_ = false;         // boot: no signed answer yet says when to capture
  uint8_t failures_ = 0;       // of the current capture, or uploads since the last answer
  uint16_t frame_ = 0;         // frames taken since boot
  uint32_t wait_from_ms_ = 0;
  uint32_t wait_ms_ = 0;
  uint32_t net_try_ms_ = 0;    // last attempt to bring up the network
  FrameExtent frame_extent_ = {};
};

// The steps are not inlined into loop(): each one's locals then stay off the stack of the others
// (the SRAM budget: 512 bytes free at the worst moment).
template <class Board>
__attribute__((noinline)) void CameraPolicy<Board>::boot() {
  board_.begin();
  in_fifo_ = board_.restore_frame(&frame_extent_);
  frame_ = in_fifo_;  // the restored frame is this boot's first
  // The camera's set-up resets its CPLD, which may clear the FIFO: after a restored frame is sent
  // (or kept), at the next capture.
  if (!in_fifo_) camera_ok_ = board_.bring_up_camera();
  bring_up_network();
  // No frame at boot: the service says when (the hello, or the answer to the frame the reset left
  // in the FIFO); without a signed answer, at once (heard()), or for a frame the reset left in the
  // FIFO, which is this interval's, an interval from now.
  hello_ = !in_fifo_;
  schedule_.start(board_.millis(), cfg_.interval_ms, false);
}

template <class Board>
bool CameraPolicy<Board>::bring_up_network() {
  net_try_ms_ = board_.millis();
  return board_.bring_up_network();
}

template <class Board>
void CameraPolicy<Board>::wait(uint32_t ms) {
  wait_from_ms_ = board_.millis();
  wait_ms_ = ms;
}

template <class Board>
void CameraPolicy<Board>::log_frame() {
  log_P(PSTR("frame "));
  board_.print(frame_);
  log_P(PSTR(": "));
}

template <class Board>
void CameraPolicy<Board>::log_lost() {
  log_P(PSTR(", frame lost ("));
  board_.print(board_.frames_lost());
  log_line_P(PSTR(" since boot)"));
}

template <class Board>
void CameraPolicy<Board>::poll() {
  board_.kick_watchdog();
  const uint32_t now = board_.millis();
  if (!board_.keep_network(now) && !capturing_ && !sending() &&
      elapsed_at_least(now, net_try_ms_, kNetworkRetryMs)) {
    bring_up_network();
  }
  if (!capturing_ && schedule_.due(board_.millis())) next_frame();  // ends a retry's wait
  if (wait_ms_) {
    if (!elapsed_at_least(board_.millis(), wait_from_ms_, wait_ms_)) return;
    wait_ms_ = 0;  // done: a stale start time must not block again after millis() wraps
  }
  if (capturing_) {
    capture();
  } else if (sending()) {
    heard(upload());
  } else if (hello_) {
    heard(hello());
  }
}

// After each request: a signed answer's Next sets the next capture; the first request after boot
// without one makes the camera capture at once and keep its interval. (An attempt that never
// reached the board's request, without an address say, has no answer: the board's Next is then
// the previous request's, and must not move the capture again.)
template <class Board>
void CameraPolicy<Board>::heard(bool answered) {
  const uint32_t next_s = answered ? board_.next_capture_s() : kNoNext;
  uint32_t wait_s = 0;
  if (next_s != kNoNext) {
    wait_s = bounded_next_s(next_s);
    log_P(PSTR("next capture in "));
    board_.print(wait_s);
    log_line_P(PSTR(" s"));
  } else if (hello_) {
    log_line_P(PSTR("no signed answer: capturing now"));
  } else {
    return;
  }
  hello_ = false;
  schedule_.due_in(board_.millis(), wait_s * 1000);
}

template <class Board>
__attribute__((noinline)) bool CameraPolicy<Board>::hello() {
  UploadResult r = {UploadError::kNoAddress, 0};
  if (board_.network_up() || bring_up_network()) r = board_.hello();
  log_P(PSTR("hello: "));
  log_result(r);
  board_.println();
  return r.error == UploadError::kNone;
}

// "HTTP <status>" for an answer, "[HTTP <status>, ]<what went wrong>" otherwise.
template <class Board>
void CameraPolicy<Board>::log_result(const UploadResult& r) {
  if (r.error == UploadError::kNone || r.error == UploadError::kUntrusted) {
    log_P(PSTR("HTTP "));
    board_.print(r.status);
  }
  if (r.error == UploadError::kUntrusted) log_P(PSTR(", "));  // it may not be the service's
  if (r.error != UploadError::kNone) log_P(upload_error_name(r.error));
}

// The next capture is due: the frame still in the FIFO goes to the card, or is lost.
template <class Board>
__attribute__((noinline)) void CameraPolicy<Board>::next_frame() {
  if (in_fifo_) {
    log_frame();
    log_line_P(PSTR("not uploaded before the next capture"));
    if (board_.keep_frame(frame_extent_)) {  // logs where it went
      in_fifo_ = false;
    } else {
      log_frame();
      log_P(PSTR("not kept"));
      done(false, true);
    }
    rescan_ = false;
  }
  ++frame_;
  failures_ = 0;
  capturing_ = true;
  wait_ms_ = 0;
}

template <class Board>
__attribute__((noinline)) void CameraPolicy<Board>::capture() {
  CaptureError err = CaptureError::kTimeout;
  const bool rescan = rescan_;
  rescan_ = false;
  // A rescan reads the frame in the FIFO as it is: no set-up of the camera, which could clear it.
  if (rescan || camera_ok_ || (camera_ok_ = board_.bring_up_camera())) {
    err = board_.capture(!rescan, &frame_extent_);
  }
  // A FIFO that makes no sense at 8 MHz (a length out of range, no JPEG, reads that disagree):
  // the module's bus may not keep up, so 4 MHz from now on. Only a capture that never completes
  // says nothing about the bus.
  if (err != CaptureError::kNone && err != CaptureError::kTimeout) board_.slow_camera_bus();
  board_.report_camera_bus();
  if (err == CaptureError::kNone) {
    log_frame();
    log_P(PSTR("captured, counter "));
    board_.print(board_.frame_counter());
    log_P(PSTR(", JPEG "));
    board_.print(frame_extent_.length);
    log_P(PSTR(" bytes at "));
    board_.print(frame_extent_.start);
    log_P(PSTR(" of FIFO "));
    board_.print(frame_extent_.fifo_length);
    log_P(PSTR(", burst lead-in "));
    board_.print(frame_extent_.lead_in);
    board_.println();
    capturing_ = false;
    in_fifo_ = true;
    if (!rescan) failures_ = 0;  // a rescan goes on counting the same frame's attempts
    // Captures that failed for longer than an interval: this frame counts for the one that came
    // due meanwhile, which would otherwise give it up at once (the cadence restarts from now).
    schedule_.due(board_.millis());
    return;
  }
  log_frame();
  log_P(PSTR("capture failed: "));
  log_P(camera_ok_ || rescan ? capture_error_name(err) : PSTR("camera not ready"));
  camera_ok_ = false;  // set the camera up again before the next try
  if (rescan) {        // the frame that was in the FIFO is gone: the next turn captures anew
    done(false, true);
    return;
  }
  if (++failures_ >= cfg_.capture_attempts) {
    log_line_P(PSTR("; resetting the board"));
    board_.flush();
    board_.reboot();
    return;
  }
  const uint32_t delay_ms = backoff_delay_ms(cfg_.retry, failures_, board_.random());
  log_P(PSTR("; retry in "));
  board_.print(delay_ms);
  log_line_P(PSTR(" ms"));
  wait(delay_ms);
}

// The frame has its answer: the service's (lost false) or a final refusal (lost true).
template <class Board>
void CameraPolicy<Board>::done(bool kept, bool lost) {
  if (kept) {
    board_.kept_done(lost);  // counts it lost, if it is
  } else {
    if (lost) board_.count_lost();
    in_fifo_ = false;
    board_.frame_done();
  }
  if (lost) log_lost();
  failures_ = 0;
}

template <class Board>
__attribute__((noinline)) bool CameraPolicy<Board>::upload() {
  const uint32_t started = board_.millis();
  const bool kept = board_.frames_kept() != 0;  // the card's frames first: they are older
  uint32_t counter = 0;
  UploadResult r = {UploadError::kNoAddress, 0};
  if (failures_ < 255) ++failures_;
  if (board_.network_up() || bring_up_network()) {
    r = kept ? board_.upload_kept(&counter, failures_) : board_.upload(frame_extent_, failures_);
  }
  if (kept) {
    log_P(PSTR("kept frame, counter "));
    board_.print(counter);
    log_P(PSTR(": "));
  } else {
    log_frame();
  }
  log_P(PSTR("upload attempt "));
  board_.print(failures_);
  log_P(PSTR(": "));
  HttpVerdict verdict = HttpVerdict::kRetry;
  log_result(r);
  if (r.error == UploadError::kNone) {
    verdict = http_verdict(r.status);
  } else {
    if (r.error == UploadError::kHeadTooLarge) verdict = HttpVerdict::kReject;
    if (r.error == UploadError::kFrameLost) {
      if (kept) {
        verdict = HttpVerdict::kReject;  // the card gave back other bytes than it was given
      } else {
        // The FIFO read back differently from the scan: slow the camera's bus down and scan the
        // frame again (the signature covers the scan's bytes) before the next attempt.
        board_.slow_camera_bus();
        rescan_ = true;
      }
    }
  }
  log_P(PSTR(" in "));
  board_.print(board_.millis() - started);
  log_P(PSTR(" ms"));
  if (verdict == HttpVerdict::kStored) {
    log_line_P(PSTR(", stored"));
    done(kept, false);
    return true;
  }
  if (verdict == HttpVerdict::kReject) {
    log_P(PSTR(", rejected: not retried"));
    done(kept, true);
    return r.error == UploadError::kNone;
  }
  const uint32_t delay_ms = backoff_delay_ms(cfg_.retry, failures_, board_.random());
  log_P(PSTR(", retry in "));
  board_.print(delay_ms);
  log_line_P(PSTR(" ms"));
  if (rescan_) capturing_ = true;
  wait(delay_ms);
  return r.error == UploadError::kNone;
}
