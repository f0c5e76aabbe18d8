#include "frame_capture.h"

#include <Arduino.h>
#include <avr/wdt.h>
#include <jpeg_scan.h>

#include "arduchip.h"

namespace {
const uint32_t kFifoBytes = 0x7FFFFFUL;  // 23-bit length register, 8 MB FIFO

// Learns the module's lead_in: rewinds, reads through FF D8 in one burst, then the bytes after it in
// a second burst, and compares them with what the scan pass saw there: about 15 SPI bytes a frame.
// Not inlined: inlining it costs 300 bytes of flash.
__attribute__((noinline)) uint8_t measure_lead_in(const JpegScan& scan, uint8_t* buf,
                                                  uint16_t cap) {
  arduchip::rewind();
  arduchip::burst_begin();
  for (uint32_t left = scan.start() + 2; left;) {
    const uint16_t n = left < cap ? (uint16_t)left : cap;
    arduchip::burst_continue(buf, n);
    left -= n;
  }
  arduchip::burst_end();
  arduchip::read_burst(buf, scan.head_length());
  return burst_lead_in(scan.head(), buf, scan.head_length());
}

}  // namespace

CaptureError capture_frame(bool trigger, uint32_t timeout_ms, uint8_t* buf, uint16_t cap,
                           FrameExtent* out, auth::ImageHash* hash) {
  if (trigger) {
    arduchip::start_capture();
    const uint32_t start = millis();
    while (!arduchip::capture_done()) {
      wdt_reset();
      if (millis() - start >= timeout_ms) return CaptureError::kTimeout;
    }
  }
  const uint32_t fifo = arduchip::fifo_length();
  out->fifo_length = fifo;
  if (fifo == 0 || fifo >= kFifoBytes) return CaptureError::kBadSize;

  JpegScan scan;
  if (!trigger) arduchip::rewind();  // a new capture is read from its start without one
  arduchip::burst_begin();           // one burst for the whole scan pass
  uint32_t left = fifo;
  if (hash) hash->begin();
  while (left && !scan.complete()) {
    wdt_reset();
    const uint16_t n = left < cap ? (uint16_t)left : cap;
    arduchip::burst_continue(buf, n);
    scan.feed(buf, n);
    if (hash) {
      hash->feed(buf, n, fifo - left, scan.found_start(), scan.start(), scan.complete(),
                 scan.start() + scan.length());
    }
    left -= n;
  }
  arduchip::burst_end();
  if (!scan.complete()) return CaptureError::kNoImage;
  out->start = scan.start();
  out->length = scan.length();
  out->sum = scan.sum();
  out->lead_in = measure_lead_in(scan, buf, cap);
  if (out->lead_in == kLeadInUnknown) {  // the rewind did not go back to the frame's start
    arduchip::use_other_rewind();
    out->lead_in = measure_lead_in(scan, buf, cap);
    if (out->lead_in == kLeadInUnknown) arduchip::use_other_rewind();  // neither: not the bit
  }
  return out->lead_in == kLeadInUnknown ? CaptureError::kUnsteady : CaptureError::kNone;
}

bool stream_frame(const FrameExtent& frame, uint8_t* buf, uint16_t cap, FrameSink sink,
                  void* context) {
  arduchip::rewind();
  uint32_t skip = frame.start;  // bytes before FF D8 (a dummy byte, if the module sends one)
  uint32_t left = frame.length;
  uint8_t last = 0;  // last byte handed over, for an end marker split across chunks
  FrameSum sum;
  for (bool first = true; left; first = false) {
    wdt_reset();
    if (!first) skip = frame.lead_in;
    const uint16_t part = left < cap ? (uint16_t)left : cap;
    arduchip::burst_begin();
    while (skip) {  // read and dropped inside the burst, so every chunk but the last is cap bytes
      const uint16_t n = skip < cap ? (uint16_t)skip : cap;
      arduchip::burst_continue(buf, n);
      skip -= n;
    }
    arduchip::burst_continue(buf, part);
    arduchip::burst_end();
    // The bytes must be where the scan found them: FF D8 first, FF D9 last. If not (the read
    // pointer did not rewind), stop before the body is complete, so no server takes it for a frame.
    if (left == frame.length && part >= 2 && (buf[0] != 0xFF || buf[1] != 0xD8)) return false;
    sum.add(buf, part);
    if (left == part && (buf[part - 1] != 0xD9 || (part >= 2 ? buf[part - 2] : last) != 0xFF ||
                         sum != frame.sum)) {
      return false;
    }
    last = buf[part - 1];
    if (!sink(context, buf, part)) return false;
    left -= part;
  }
  return true;
}
