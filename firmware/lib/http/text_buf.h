// Appends text to a fixed buffer without the heap; remembers overflow instead of writing past the end.
#pragma once
#include <stdint.h>

// Decimal digits of value and a NUL into out (11 bytes); returns the number of digits.
uint8_t format_u32(char out[11], uint32_t value);

class TextBuf {
 public:
  TextBuf(char* buf, uint16_t cap) : buf_(buf), cap_(cap), len_(0), ok_(true) {}
  void put(char c);
  void put(const char* s);      // string in RAM
  void put_P(const char* s);    // string in flash (PROGMEM)
  void put_u32(uint32_t v);
  uint16_t length() const { return len_; }
  bool ok() const { return ok_; }

 private:
  char* buf_;
  uint16_t cap_;
  uint16_t len_;
  bool ok_;
};
