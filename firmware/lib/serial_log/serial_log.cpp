#include "serial_log.h"

#include <avr/io.h>
#include <avr/pgmspace.h>
#include <util/delay.h>

SerialLog serial_log;

void SerialLog::begin(uint32_t baud) {
  // Double speed: UBRR = F_CPU / (8 * baud) - 1, rounded (datasheet 19.3.1, table 19-1).
  const uint16_t setting = (F_CPU / 4 / baud - 1) / 2;
  UCSR0A = _BV(U2X0);
  UBRR0 = setting;
  UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);
  UCSR0B = _BV(TXEN0);
}

void SerialLog::write(uint8_t byte) {
  loop_until_bit_is_set(UCSR0A, UDRE0);
  UDR0 = byte;
}

void SerialLog::print(const char* s) {
  while (*s) write((uint8_t)*s++);
}

void SerialLog::print(const __FlashStringHelper* s) {
  for (const char* p = reinterpret_cast<const char*>(s); uint8_t c = pgm_read_byte(p); ++p) {
    write(c);
  }
}

void SerialLog::print(unsigned long n, uint8_t base) {
  char digits[10];  // bases 10 and 16: 4294967295 at the most
  uint8_t i = 0;
  do {
    const uint8_t d = n % base;
    digits[i++] = (char)(d < 10 ? '0' + d : 'A' + d - 10);
    n /= base;
  } while (n);
  while (i) write((uint8_t)digits[--i]);
}

void SerialLog::flush() {
  loop_until_bit_is_set(UCSR0A, UDRE0);
  // The data register is free; the last byte may still be in the shift register: one frame of
  // 10 bits at 115,200 baud takes 87 us.
  _delay_us(90);
}
