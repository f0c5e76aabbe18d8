#include "text_buf.h"

#include <pgm.h>
#include <string.h>

void TextBuf::put(char c) {
  if (len_ < cap_) {
    buf_[len_++] = c;
  } else {
    ok_ = false;
  }
}

void TextBuf::put(const char* s) {
  while (*s) put(*s++);
}

void TextBuf::put_P(const char* s) {
  for (char c; (c = (char)pgm_read_byte(s)) != 0; ++s) put(c);
}

void TextBuf::put_u32(uint32_t v) {
  char digits[11];
  format_u32(digits, v);
  put(digits);
}

uint8_t format_u32(char out[11], uint32_t value) {
  char reversed[10];
  uint8_t n = 0;
  do {
    reversed[n++] = char('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (uint8_t i = 0; i < n; i++) out[i] = reversed[n - 1 - i];
  out[n] = 0;
  return n;
}

void sink_P(ByteSink sink, void* context, const char* text_P) {
  for (char c; (c = (char)pgm_read_byte(text_P)) != 0; ++text_P) {
    sink(context, reinterpret_cast<const uint8_t*>(&c), 1);
  }
}

void sink_u32(ByteSink sink, void* context, uint32_t value) {
  char digits[11];
  sink(context, reinterpret_cast<const uint8_t*>(digits), format_u32(digits, value));
}

void write_text(const void* text, ByteSink sink, void* context) {
  sink(context, static_cast<const uint8_t*>(text), strlen(static_cast<const char*>(text)));
}
