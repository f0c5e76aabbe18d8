// The shared SPI bus of the board (mode 0, MSB first), polled: each byte waits for SPIF, no
// interrupts. Chip selects belong to the drivers (W5500 on D10, ArduCAM on D7), and so does the
// clock: each driver sets the one its chip takes before it selects it. The SD card's select (D4)
// is driven high here once and never touched again.
#pragma once
#include <stdint.h>

namespace spi {

enum Clock : uint8_t {
  k8MHz,    // F_CPU/2: the fastest an AVR master runs, the W5500's and the ArduChip's maximum
  k4MHz,    // F_CPU/4: what ArduCAM tested on the UNO (SPI.begin()'s default)
  k250kHz,  // F_CPU/64: an SD card until it is ready (at most 400 kHz)
};

void begin();
void set_clock(Clock clock);
uint8_t transfer(uint8_t out);
void read_block(uint8_t* dst, uint16_t n);         // clocks out zeros
void write_block(const uint8_t* src, uint16_t n);  // ignores what comes back

}  // namespace spi
