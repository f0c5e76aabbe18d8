// Flash-string access that compiles for the AVR and for the host unit tests.
// On the AVR, PROGMEM data lives in flash and is read with pgm_read_byte; on the host it is plain memory.
#pragma once

#ifdef __AVR__
#include <avr/pgmspace.h>
#else
#include <stdint.h>
#include <string.h>
#define PROGMEM
#define PSTR(s) (s)
#define pgm_read_byte(p) (*(const uint8_t*)(p))
#define pgm_read_dword(p) (*(const uint32_t*)(p))
#define strlen_P strlen
#define memcpy_P memcpy
#endif
