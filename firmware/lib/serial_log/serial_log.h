// The camera's serial log: USART0's transmitter alone (ATmega328P datasheet, section 19 "USART0").
// The camera never reads its serial line, so Arduino's HardwareSerial, with its receive interrupt,
// its two ring buffers and its transmit interrupt, and Print, with its virtual calls, cost flash
// and RAM for nothing: here each byte waits for the data register to empty and goes out, and
// numbers are unsigned (all the log prints).
#pragma once

#include <WString.h>  // __FlashStringHelper, F()
#include <stdint.h>

class SerialLog {
 public:
  // 8 data bits, no parity, 1 stop bit at `baud`, with the double-speed divider (as Arduino's
  // HardwareSerial::begin chooses at 115,200 baud from 16 MHz: 2.1% error against 3.5%).
  void begin(uint32_t baud);
  void write(uint8_t byte);
  void print(char c) { write((uint8_t)c); }
  void print(const char* s);                 // in RAM
  void print(const __FlashStringHelper* s);  // in flash (F(), PSTR)
  void print(unsigned long n, uint8_t base = 10);  // base 10 or 16
  void print(unsigned int n, uint8_t base = 10) { print((unsigned long)n, base); }
  void print(unsigned char n, uint8_t base = 10) { print((unsigned long)n, base); }
  void print(int n) { print((unsigned long)n); }  // counts: never negative
  void println() { print(F("\r\n")); }
  template <class T>
  void println(T value) {
    print(value);
    println();
  }
  void println(unsigned long n, uint8_t base) {
    print(n, base);
    println();
  }
  // Returns once the last byte has left the transmitter (before a reboot cuts it short).
  void flush();
};

extern SerialLog serial_log;
