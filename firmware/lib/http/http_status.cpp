#include "http_status.h"

namespace {
// "HTTP/" then major digit, '.', minor digit, ' ', three status digits, then the reason up to LF.
const char kPrefix[] = "HTTP/";
enum : uint8_t { kPrefixState, kMajor, kDot, kMinor, kSpace, kDigits, kReason, kDoneState, kBad };
}  // namespace

void HttpStatusParser::reset() {
  state_ = kPrefixState;
  index_ = 0;
  status_ = 0;
}

HttpStatusParser::Result HttpStatusParser::feed(uint8_t c) {
  const bool digit = c >= '0' && c <= '9';
  switch (state_) {
    case kPrefixState:
      if (c != (uint8_t)kPrefix[index_]) {
        state_ = kBad;
      } else if (++index_ == sizeof(kPrefix) - 1) {
        state_ = kMajor;
      }
      break;
    case kMajor: state_ = digit ? kDot : kBad; break;
    case kDot: state_ = c == '.' ? kMinor : kBad; break;
    case kMinor: state_ = digit ? kSpace : kBad; break;
    case kSpace:
      state_ = c == ' ' ? kDigits : kBad;
      index_ = 0;
      break;
    case kDigits:
      if (!digit) {
        state_ = kBad;
        break;
      }
      status_ = (uint16_t)(status_ * 10 + (c - '0'));
      if (++index_ == 3) state_ = status_ >= 100 ? kReason : kBad;
      break;
    case kReason:
      if (c == '\n') state_ = kDoneState;
      break;
    default:
      break;
  }
  if (state_ == kBad) return kMalformed;
  return state_ == kDoneState ? kDone : kNeedMore;
}

HttpVerdict http_verdict(uint16_t status) {
  if (status >= 200 && status < 300) return HttpVerdict::kStored;
  switch (status) {  // chalicelib/protocol/answer.py FINAL_STATUSES (tests/firmware compares)
    case 401: case 403: case 411: case 413: case 415: case 422: return HttpVerdict::kReject;
    default: return HttpVerdict::kRetry;
  }
}
