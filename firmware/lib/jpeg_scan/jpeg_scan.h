// Finds the JPEG in the camera FIFO stream: from its start-of-image marker (FF D8) through its
// end-of-image marker (FF D9). The stream may start with a dummy byte (older module revisions) and
// is padded after the end marker, so neither byte 0 nor the FIFO length can be trusted.
#pragma once
#include <stdint.h>

class JpegScan {
 public:
  JpegScan() { reset(); }
  void reset();
  // Feeds the next n bytes of the stream; returns true once the end marker has been seen
  // (bytes after it are ignored).
  bool feed(const uint8_t* data, uint16_t n);
  bool found_start() const { return state_ != kSeekStart; }
  bool complete() const { return state_ == kComplete; }
  uint32_t start() const { return start_; }            // stream offset of the FF of FF D8
  uint32_t length() const { return end_ - start_; }    // bytes from FF D8 through FF D9 inclusive
  uint32_t scanned() const { return pos_; }            // bytes consumed so far

 private:
  enum State : uint8_t { kSeekStart, kSeekEnd, kComplete };
  uint32_t pos_;
  uint32_t start_;
  uint32_t end_;
  uint8_t prev_;
  State state_;
};
