#include "http_request.h"

#include <pgm.h>

#include "text_buf.h"

static const char kCrlf[] PROGMEM = "\r\n";

static void put_bytes(void* out, const uint8_t* data, size_t n) {
  while (n--) static_cast<TextBuf*>(out)->put((char)*data++);
}

static void header_P(TextBuf& out, const char* name_P, const char* value_P) {
  out.put_P(name_P);
  out.put_P(PSTR(": "));
  out.put_P(value_P);
  out.put_P(kCrlf);
}

uint16_t http_format_post_head(char* buf, uint16_t cap, const HttpTarget& t,
                               uint32_t content_length, const HttpHeader* extra, uint8_t n_extra) {
  TextBuf out(buf, cap);
  out.put_P(PSTR("POST "));
  out.put_P(t.path_P);
  out.put_P(PSTR(" HTTP/1.1\r\nHost: "));
  out.put_P(t.host_P);
  if (t.port != 80) {
    out.put(':');
    out.put_u32(t.port);
  }
  out.put_P(kCrlf);
  header_P(out, PSTR("User-Agent"), t.user_agent_P);
  header_P(out, PSTR("Content-Type"), PSTR("image/jpeg"));
  out.put_P(PSTR("Content-Length: "));
  out.put_u32(content_length);
  out.put_P(kCrlf);
  for (uint8_t i = 0; i < n_extra; ++i) {
    out.put_P(extra[i].name_P);
    out.put_P(PSTR(": "));
    extra[i].value.write(extra[i].value.from, put_bytes, &out);
    out.put_P(kCrlf);
  }
  out.put_P(PSTR("Connection: close\r\n\r\n"));
  return out.ok() ? out.length() : 0;
}
