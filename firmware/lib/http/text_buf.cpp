#include "text_buf.h"

#include <pgm.h>

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
  char digits[10];
  uint8_t n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) put(digits[--n]);
}
