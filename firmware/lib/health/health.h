// The camera's health report, the Stopmotion-Health header's value (the service's
// chalicelib/protocol/upload.py owns the format: HEALTH_FIELDS, in that order, as name=value tokens
// separated by single spaces; tests/firmware checks this against it byte for byte). It is signed
// (the string to sign's last line) and sent, so it is written twice by health_value() from one
// snapshot of the numbers, never held whole in RAM.
#pragma once
#include <stdint.h>
#include <text_buf.h>

struct Health {
  const char* fw_P;     // firmware version (flash)
  uint32_t up_s;        // seconds since boot
  uint32_t boots;       // boots counted in EEPROM
  const char* reset_P;  // the last reset's cause (flash): board::reset_cause_P()'s names
  uint16_t sram;        // the fewest bytes of SRAM ever free (stack low-water mark)
  uint8_t tries;        // attempt of this request's frame (1: the first)
  uint16_t queued;      // frames in the card's queue
  uint16_t lost;        // frames lost since the last report the service answered (signed)
  uint8_t lead;         // the camera's burst lead-in (junk bytes after a rewind)
  const char* link_P;   // the Ethernet link (flash): down, 10M or 100M
  uint16_t dhcp;        // DHCP lease renewals (and rebinds) since boot
  uint16_t spi_khz;     // the camera's SPI clock
};

// Writes the value of h into sink (a TextSource's write: from is a Health).
void health_value(const void* h, ByteSink sink, void* context);
