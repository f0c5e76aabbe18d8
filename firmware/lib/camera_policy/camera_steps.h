// What the camera's steps report to the policy (camera_policy.h): a capture's error and where the
// frame lies in the FIFO (arducam's frame_capture.h), an upload's error or HTTP status (uploader's
// frame_upload.h, and the board's network steps before it). Hardware-free, so the policy and its
// host tests use the same types as the drivers.
#pragma once
#include <jpeg_scan.h>
#include <stdint.h>

struct FrameExtent {
  uint32_t start;        // FIFO stream offset of FF D8
  uint32_t length;       // bytes from FF D8 through FF D9
  uint32_t fifo_length;  // what the ArduChip reported
  uint8_t lead_in;       // junk bytes that start each burst after the first since a rewind
  FrameSum sum;          // of the JPEG's bytes as the scan pass read them
};

enum class CaptureError : uint8_t {
  kNone,
  kTimeout,   // the capture-done flag never came
  kBadSize,   // FIFO length 0 or beyond the 8 MB FIFO
  kNoImage,   // no FF D8 .. FF D9 within the FIFO length
  kUnsteady,  // the bytes after FF D8 read differently after a rewind, with either rewind bit
};

const char* capture_error_name(CaptureError e);  // in flash

enum class UploadError : uint8_t {
  kNone,          // a status line arrived (see status); from the board's steps: and the
                  // service signed the answer (else kUntrusted)
  kConnect,       // no connection (refused, unreachable, timeout)
  kSend,          // the connection broke or stalled mid-request
  kNoResponse,    // no status line in time, or the connection closed without one
  kBadResponse,   // something that is not an HTTP/1.x status line
  kHeadTooLarge,  // the request head does not fit the buffer: a configuration error
  kFrameLost,     // the FIFO read back differently from the scan pass (frame_capture.h)
  kNoAddress,     // not sent: the board has no network address (DHCP)
  kNoHost,        // not sent: the host name did not resolve, and no earlier address is known
  kUntrusted,     // an answer (status set) the service did not sign for this request: retried
  kCardFailed,    // not sent: the kept frame's header could not be read off the card
};

struct UploadResult {
  UploadError error;
  uint16_t status;  // valid when error == kNone
};

const char* upload_error_name(UploadError e);  // in flash

// The service's Next= (chalicelib/protocol/answer.py): the seconds from its answer to the camera's
// next capture by its schedule, in every signed answer. kNoNext: the last request got no signed
// answer (then the camera keeps its configured interval).
const uint32_t kNoNext = 0xFFFFFFFFUL;
// At least 5 s: Next counts from the service's Time, and a capture and its upload take seconds, so
// a shorter wait only makes frames back to back (the service never sends one for the same slot);
// 5 s is also the capture-time goal, so a slot is never missed by more. At most the longest wait
// the service sends (schedule.MAX_NEXT_S, 8 days; tests/firmware checks they agree), whatever an
// answer says.
const uint32_t kMinNextS = 5;
const uint32_t kMaxNextS = 8 * 86400UL;
// The wait in s before the capture a signed answer's Next= asks for, bounded as above.
uint32_t bounded_next_s(uint32_t next_s);
