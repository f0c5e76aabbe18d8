// Finds the JPEG in the camera FIFO stream: from its start-of-image marker (FF D8) through its
// end-of-image marker (FF D9). The stream may start with a dummy byte (older module revisions) and
// is padded after the end marker, so neither byte 0 nor the FIFO length can be trusted.
// It also keeps the first bytes after FF D8, which burst_lead_in() compares with a second reading.
#pragma once
#include <stdint.h>

// A cheap checksum of the JPEG's bytes (Fletcher's two running sums, modulo 2^16): the send pass
// compares its own with the scan pass's, so a byte read differently the second time (a marginal
// SPI bus) is caught before the body is complete. Two additions a byte, where a second SHA-256
// would cost 43 us a byte; a changed, lost or repeated byte changes it.
struct FrameSum {
  uint16_t a = 0;
  uint16_t b = 0;
  void add(uint8_t byte) {
    a = (uint16_t)(a + byte);
    b = (uint16_t)(b + a);
  }
  void add(const uint8_t* data, uint16_t n);  // the sums kept in registers (jpeg_scan.cpp)
  bool operator==(const FrameSum& o) const { return a == o.a && b == o.b; }
  bool operator!=(const FrameSum& o) const { return !(*this == o); }
};

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
  const FrameSum& sum() const { return sum_; }         // of the bytes FF D8 .. FF D9 seen so far
  // The first head_length() (at most kHeadBytes) bytes after FF D8, as this pass read them.
  enum : uint8_t { kHeadBytes = 8 };
  const uint8_t* head() const { return head_; }
  uint8_t head_length() const { return head_length_; }

 private:
  enum State : uint8_t { kSeekStart, kSeekEnd, kComplete };
  uint32_t pos_;
  uint32_t start_;
  uint32_t end_;
  uint8_t prev_;
  State state_;
  uint8_t head_length_;
  uint8_t head_[kHeadBytes];
  FrameSum sum_;
};

// Bursts after the first since a read-pointer reset: module revisions differ on whether each one
// starts with a junk byte. `got` is the start of such a burst, read where the stream continues with
// `expected` (n >= 2 bytes read before in one unbroken burst). Returns the junk bytes it starts
// with, 0 or 1, or kLeadInUnknown when neither fits (or both: an n-byte run of one value).
const uint8_t kLeadInUnknown = 0xFF;
uint8_t burst_lead_in(const uint8_t* expected, const uint8_t* got, uint8_t n);
