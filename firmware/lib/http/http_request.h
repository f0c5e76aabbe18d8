// The camera's upload request head: POST <path> HTTP/1.1, Host, User-Agent, Content-Type,
// Content-Length, [extra headers: the Authorization, the Stopmotion-Health], Connection: close,
// blank line. The service's
// protocol package (chalicelib/protocol) owns the format; tests/firmware checks this against it.
#pragma once
#include <stdint.h>
#include <text_buf.h>

// An extra header line, for instance the request's signature: name in flash, the value written by
// a TextSource (write_text for a string in RAM).
struct HttpHeader {
  const char* name_P;
  TextSource value;
};

// Where the frame goes. All strings are in flash (PROGMEM).
struct HttpTarget {
  const char* host_P;
  uint16_t port;           // Host gets ":port" only when it is not 80
  const char* path_P;
  const char* user_agent_P;
};

// Writes the head into buf and returns its length, or 0 if it does not fit in cap bytes.
uint16_t http_format_post_head(char* buf, uint16_t cap, const HttpTarget& target,
                               uint32_t content_length, const HttpHeader* extra, uint8_t n_extra);
