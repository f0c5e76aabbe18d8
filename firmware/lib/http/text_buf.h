// Appends text to a fixed buffer without the heap; remembers overflow instead of writing past the end.
#pragma once
#include <stdint.h>

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
