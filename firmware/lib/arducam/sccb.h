// The OV2640's SCCB (I2C-compatible) bus on A4/A5 through the AVR's TWI unit at 100 kHz, polled:
// every step waits for TWINT with a deadline, no interrupts, no buffers. A sensor that does not
// answer or a stuck bus gives false, never a hang.
#pragma once
#include <stdint.h>

namespace sccb {

void begin();
bool write(uint8_t addr7, uint8_t reg, uint8_t value);
// A register write (the address) and a one-byte read, each its own START ... STOP, as SCCB wants.
bool read(uint8_t addr7, uint8_t reg, uint8_t* value);

}  // namespace sccb
