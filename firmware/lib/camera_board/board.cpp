#include "board.h"

#include <avr/io.h>
#include <avr/pgmspace.h>
#include <avr/wdt.h>

namespace {
uint8_t reset_flags __attribute__((section(".noinit")));
}

// Runs before the C runtime initialises memory (.init3), see avr-libc's wdt.h notes.
void save_reset_flags() __attribute__((naked, used, section(".init3")));
void save_reset_flags() {
  reset_flags = MCUSR;
  MCUSR = 0;
  wdt_disable();
}

namespace board {

void arm_watchdog() { wdt_enable(WDTO_8S); }

const char* reset_cause_P() {
  if (reset_flags & _BV(WDRF)) return PSTR("watchdog");
  if (reset_flags & _BV(BORF)) return PSTR("brown-out");
  if (reset_flags & _BV(EXTRF)) return PSTR("external");
  if (reset_flags & _BV(PORF)) return PSTR("power-on");
  return PSTR("unknown");  // a bootloader that clears MCUSR before starting the sketch
}

void reboot() {
  wdt_enable(WDTO_15MS);
  for (;;) {
  }
}

}  // namespace board
