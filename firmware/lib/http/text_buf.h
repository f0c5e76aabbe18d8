// Appends text to a fixed buffer without the heap; remembers overflow instead of writing past the end.
#pragma once
#include <stddef.h>
#include <stdint.h>

// Receives text piece by piece: the HMAC when signing, the request head, a host tool.
typedef void (*ByteSink)(void* context, const uint8_t* data, size_t n);

// A text written piece by piece into a sink, never held whole in RAM: the health value is written
// twice by one function, into the signature and into the request head (lib/health).
struct TextSource {
  void (*write)(const void* from, ByteSink sink, void* context);
  const void* from;
};

// A TextSource's write for a NUL-terminated string in RAM (from: the string).
void write_text(const void* text, ByteSink sink, void* context);

// Into a sink: a string in flash, a decimal.
void sink_P(ByteSink sink, void* context, const char* text_P);
void sink_u32(ByteSink sink, void* context, uint32_t value);

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
