// Reading constants kept in flash: PROGMEM on the AVR, ordinary memory on the host.
#pragma once

#ifdef __AVR__
#include <avr/pgmspace.h>
#else
#include <stdint.h>
#ifndef PROGMEM
#define PROGMEM
#define pgm_read_byte(p) (*(const uint8_t *)(p))
#define pgm_read_dword(p) (*(const uint32_t *)(p))
#endif
#endif
