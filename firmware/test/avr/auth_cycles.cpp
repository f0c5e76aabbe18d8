// Counts the ATmega328P cycles of the camera's MAC work on the AVR itself (simboard.core.run_program
// runs it; bench_auth_mac.py prints the figures, tests/security checks the results against Python):
// SHA-256 of a streamed body, byte by byte as the FIFO scan feeds it, and one request signature.
// Timer1 runs at the CPU clock; overflows are counted. Prints "name bytes cycles" lines on the UART,
// then the body's digest and the signature so the caller can check the AVR build against Python.
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/pgmspace.h>
#include <avr/sleep.h>

#include "request_signer.h"
#include "sha256.h"
#include "text_buf.h"

static volatile uint16_t overflows;
ISR(TIMER1_OVF_vect) { overflows++; }

static void put(char c) {
  while (!(UCSR0A & (1 << UDRE0))) {
  }
  UDR0 = c;
}
static void put_text(const char *s) {
  while (*s) put(*s++);
}
static void put_u32(uint32_t v) {
  char digits[11];
  format_u32(digits, v);
  put_text(digits);
}

static void start() {
  TCCR1A = 0;
  TCCR1B = 0;
  TCNT1 = 0;
  overflows = 0;
  TIFR1 = 1 << TOV1;
  TIMSK1 = 1 << TOIE1;
  TCCR1B = 1 << CS10;  // clk/1
}
static uint32_t stop() {
  cli();
  uint16_t count = TCNT1;  // read while the timer runs (simavr computes it on read)
  TCCR1B = 0;
  uint32_t cycles = (uint32_t(overflows) << 16) | count;
  if ((TIFR1 & (1 << TOV1)) && count < 32768) cycles += 65536UL;  // an overflow not yet served
  sei();
  return cycles;
}
static void put_hex(const char *name, const uint8_t *bytes, uint8_t n) {
  static const char kHex[] = "0123456789abcdef";
  put_text(name);
  put(' ');
  for (uint8_t i = 0; i < n; i++) {
    put(kHex[bytes[i] >> 4]);
    put(kHex[bytes[i] & 15]);
  }
  put('\n');
}
static void report(const char *name, uint32_t bytes, uint32_t cycles) {
  put_text(name);
  put(' ');
  put_u32(bytes);
  put(' ');
  put_u32(cycles);
  put('\n');
}

static const uint8_t kKey[32] PROGMEM = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                         17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const char kMethod[] PROGMEM = "POST";
static const char kPath[] PROGMEM = "/frames";
static const char kCamera[] PROGMEM = "garden-cam-01";

int main() {
  UBRR0 = 8;
  UCSR0B = 1 << TXEN0;
  sei();
  auth::Sha256 sha;
  uint8_t digest[32];
  const uint32_t kBody = 16384;
  volatile uint8_t fifo = 0x5a;  // stands in for SPDR: a byte the compiler cannot predict
  start();
  sha.begin();
  for (uint32_t i = 0; i < kBody; i++) sha.update(uint8_t(fifo + i));  // body[i] = 0x5a + i
  sha.finish(digest);
  report("sha256_stream", kBody, stop());

  uint8_t signature[32];
  const TextSource no_health = {write_text, ""};
  start();
  auth::sign_request(signature, kKey, 32, kMethod, kPath, kCamera, 123456, 86400, 65000,
                     digest, no_health);
  report("sign_request", 0, stop());

  start();
  report("empty", 0, stop());
  put_hex("digest", digest, 32);
  put_hex("signature", signature, 32);
  cli();
  sleep_cpu();
}
