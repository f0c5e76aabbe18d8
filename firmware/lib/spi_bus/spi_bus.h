// The shared SPI bus of the board (mode 0, MSB first, F_CPU/2 = 8 MHz), polled: each byte waits
// for SPIF, no interrupts. Chip selects belong to the drivers (W5500 on D10, ArduCAM on D7); the
// SD card's select (D4) is driven high here once and never touched again.
#pragma once
#include <stdint.h>

namespace spi {

void begin();
uint8_t transfer(uint8_t out);
void read_block(uint8_t* dst, uint16_t n);         // clocks out zeros
void write_block(const uint8_t* src, uint16_t n);  // ignores what comes back

}  // namespace spi
