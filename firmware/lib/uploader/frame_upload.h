// Sends a frame (from the camera FIFO or the card) as the service's HTTP POST: the head with its
// Content-Length, then exactly the JPEG bytes (SOI..EOI) streamed through one buffer into the
// W5500, then reads the response's status line and the signed answer.
#pragma once
#include <camera_steps.h>
#include <frame_capture.h>
#include <http_request.h>
#include <stdint.h>

struct UploadTimeouts {
  uint32_t connect_ms;
  uint32_t send_ms;      // longest stall while sending
  uint32_t response_ms;  // from the last body byte to the status line
};

// The value of the answer's Stopmotion-Answer header (chalicelib/protocol/answer.py), if any:
// length 0 when absent, 0xFFFF when longer than any the service sends. upload_frame() leaves it at
// the start of buf when it returns a status (cap must exceed sizeof(Answer) by a read's worth).
struct Answer {
  static const uint16_t kCap = 300;
  uint16_t length;
  char text[kCap];
};

// Where the body comes from: the camera FIFO (stream_fifo with a FrameExtent) or the card (the
// board's). stream hands exactly length bytes to sink, or returns false (frame_capture.h's
// FrameSink contract: the last chunk withheld when the bytes are not the frame's).
struct FrameSource {
  uint32_t length;
  bool (*stream)(const void* from, uint8_t* buf, uint16_t cap, FrameSink sink, void* context);
  const void* from;
};
bool stream_fifo(const void* frame, uint8_t* buf, uint16_t cap, FrameSink sink, void* context);

// The request head's bytes besides CONFIG_HOST, CONFIG_PATH, CONFIG_CAMERA_ID and ":port" when
// the port is not 80, at the largest values the camera sends (Content-Length of the 8 MB FIFO,
// counter, age, uptime and boots of 32 bits, every health field at its most). The head must fit
// the 512-byte buffer, so main.cpp refuses at build time a configuration whose names are too
// long together; tests/firmware checks this figure against the head the firmware writes.
constexpr uint16_t kHeadBytesBesidesConfig = 441;

UploadResult upload_frame(const uint8_t ip[4], uint16_t local_port, const HttpTarget& target,
                          const HttpHeader* extra, uint8_t n_extra, const FrameSource& frame,
                          const UploadTimeouts& timeouts, uint8_t* buf, uint16_t cap);
