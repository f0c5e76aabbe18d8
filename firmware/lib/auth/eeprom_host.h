// The host build's EEPROM: where frame_counter.cpp keeps the counter when it is not built for the
// AVR (the ATmega328P's 1 KB). Host tests fill it with 0xFF to model an erased chip.
#pragma once
#ifndef __AVR__
#include <stdint.h>

namespace auth {

const uint16_t kHostEepromBytes = 1024;
extern uint8_t host_eeprom[kHostEepromBytes];

}  // namespace auth
#endif
