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

// What a status the service signed means for the frame: 2xx stored; a refusal of the request for
// what it is (401, 403, 411, 413, 415, 422: the same bytes would get the same answer) rejected for
// good; anything else retried. An answer the service did not sign is never given a verdict.
HttpVerdict http_verdict(uint16_t status);
