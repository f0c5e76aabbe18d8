// Captures one frame into the ArduCAM FIFO and finds the JPEG in it with one burst pass (the scan
// pass); the frame then stays in the FIFO, so it can be read again for sending, and again for a
// retry, without a new capture.
#pragma once
#include <stdint.h>

struct FrameExtent {
  uint32_t start;        // FIFO stream offset of FF D8
  uint32_t length;       // bytes from FF D8 through FF D9
  uint32_t fifo_length;  // what the ArduChip reported
};

enum class CaptureError : uint8_t {
  kNone,
  kTimeout,   // the capture-done flag never came
  kBadSize,   // FIFO length 0 or beyond the 8 MB FIFO
  kNoImage,   // no FF D8 .. FF D9 within the FIFO length
};

const char* capture_error_name(CaptureError e);  // in flash

CaptureError capture_frame(uint32_t timeout_ms, uint8_t* buf, uint16_t cap, FrameExtent* out);
