// Parses the status line of an HTTP/1.x response, one byte at a time, and says what a status means
// for the upload: stored, worth retrying, or rejected for good.
#pragma once
#include <stdint.h>

class HttpStatusParser {
 public:
  enum Result : uint8_t { kNeedMore, kDone, kMalformed };
  HttpStatusParser() { reset(); }
  void reset();
  Result feed(uint8_t c);
  uint16_t status() const { return status_; }

 private:
  uint8_t state_;
  uint8_t index_;
  uint16_t status_;
};

enum class HttpVerdict : uint8_t { kStored, kRetry, kReject };

// 2xx: stored. 429 and 5xx: retry the same frame. Anything else (4xx, odd codes): do not retry.
HttpVerdict http_verdict(uint16_t status);
