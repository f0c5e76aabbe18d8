#include "spi_bus.h"

#include <avr/io.h>

namespace spi {

void begin() {
  // D10 (PB2, the W5500's select and the AVR's SS) must be an output for master mode.
  PORTB |= _BV(PB2);
  DDRB |= _BV(PB2) | _BV(PB3) | _BV(PB5);  // SS, MOSI, SCK
  DDRB &= ~_BV(PB4);                       // MISO
  PORTD |= _BV(PD4) | _BV(PD7);            // SD card and ArduCAM deselected
  DDRD |= _BV(PD4) | _BV(PD7);
  set_clock(k8MHz);                        // mode 0, MSB first
}

// SPR1:0 in SPCR pick F_CPU/4 or /64 (and /16, /128, unused here); SPI2X in SPSR doubles them.
void set_clock(Clock clock) {
  SPCR = _BV(SPE) | _BV(MSTR) | (clock == k250kHz ? _BV(SPR1) : 0);
  SPSR = clock == k8MHz ? _BV(SPI2X) : 0;
}

uint8_t transfer(uint8_t out) {
  SPDR = out;
  while (!(SPSR & _BV(SPIF))) {
  }
  return SPDR;
}

// The block loops start the next byte as soon as SPIF says the last one is done, and do their
// bookkeeping while it shifts: still plain polling, but the bus idles only a few cycles per byte.
void read_block(uint8_t* dst, uint16_t n) {
  if (n == 0) return;
  SPDR = 0;
  while (--n) {
    while (!(SPSR & _BV(SPIF))) {
    }
    const uint8_t in = SPDR;
    SPDR = 0;
    *dst++ = in;
  }
  while (!(SPSR & _BV(SPIF))) {
  }
  *dst = SPDR;
}

void write_block(const uint8_t* src, uint16_t n) {
  if (n == 0) return;
  SPDR = *src++;
  while (--n) {
    const uint8_t out = *src++;
    while (!(SPSR & _BV(SPIF))) {
    }
    SPDR = out;
  }
  while (!(SPSR & _BV(SPIF))) {
  }
  (void)SPDR;  // clears SPIF
}

}  // namespace spi
