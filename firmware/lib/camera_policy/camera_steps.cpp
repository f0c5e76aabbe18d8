#include "camera_steps.h"

#include <pgm.h>

const char* capture_error_name(CaptureError e) {
  switch (e) {
    case CaptureError::kTimeout: return PSTR("capture timeout");
    case CaptureError::kBadSize: return PSTR("bad FIFO length");
    case CaptureError::kNoImage: return PSTR("no JPEG in FIFO");
    case CaptureError::kUnsteady: return PSTR("FIFO reads disagree");
    default: return PSTR("ok");
  }
}

const char* upload_error_name(UploadError e) {
  switch (e) {
    case UploadError::kConnect: return PSTR("connect failed");
    case UploadError::kSend: return PSTR("connection lost while sending");
    case UploadError::kNoResponse: return PSTR("no response");
    case UploadError::kBadResponse: return PSTR("malformed response");
    case UploadError::kHeadTooLarge: return PSTR("request head too large");
    case UploadError::kFrameLost: return PSTR("FIFO read back differently, body withheld");
    case UploadError::kNoAddress: return PSTR("no network address (DHCP)");
    case UploadError::kNoHost: return PSTR("host not resolved (DNS)");
    case UploadError::kUntrusted: return PSTR("answer not from the service");
    case UploadError::kCardFailed: return PSTR("card failed");
    default: return PSTR("ok");
  }
}

uint32_t bounded_next_s(uint32_t next_s) {
  return next_s < kMinNextS ? kMinNextS : next_s > kMaxNextS ? kMaxNextS : next_s;
}
