#include "board.h"

#include <avr/io.h>
#include <avr/pgmspace.h>
#include <avr/wdt.h>

extern uint8_t __heap_start;  // the end of static data (avr-libc's linker script)

namespace {
uint8_t reset_flags __attribute__((section(".noinit")));
// kAlive from the first boot on while the board keeps power: RAM survives a watchdog or button
// reset and not a power cut, so it tells the two apart when a bootloader has cleared MCUSR.
uint16_t alive __attribute__((section(".noinit")));
const uint16_t kAlive = 0x5A3C;
// What the free SRAM is painted with; simboard paints the same (board.py PAINT), so the two
// measures agree.
const uint8_t kPaint = 0xA5;
}

// Runs before the C runtime initialises memory (.init3), see avr-libc's wdt.h notes. MCUSR is read
// and cleared first: its WDRF keeps the watchdog on until cleared (ATmega328P datasheet 10.9.2,
// 11.9.1). The UNO's stock bootloader (optiboot 4.4, bootloaders/optiboot/optiboot.c of the
// Arduino AVR core: `ch = MCUSR; MCUSR = 0;`) clears it before the sketch and hands nothing on:
// then a lost `alive` means power was lost, a kept one a restart (the watchdog or the button).
// Then everything between the static data and the stack (nothing on it yet) is painted.
void save_reset_flags() __attribute__((naked, used, section(".init3")));
void save_reset_flags() {
  reset_flags = MCUSR;
  MCUSR = 0;
  if (!reset_flags && alive != kAlive) reset_flags = _BV(PORF);
  alive = kAlive;
  wdt_disable();
  for (uint8_t* p = &__heap_start; p < (uint8_t*)SP; ++p) *p = kPaint;
}

namespace board {

void arm_watchdog() { wdt_enable(WDTO_8S); }

const char* reset_cause_P() {
  if (reset_flags & _BV(WDRF)) return PSTR("watchdog");
  if (reset_flags & _BV(BORF)) return PSTR("brownout");
  if (reset_flags & _BV(EXTRF)) return PSTR("external");
  if (reset_flags & _BV(PORF)) return PSTR("poweron");
  return PSTR("restart");  // MCUSR cleared by a bootloader, RAM kept: the watchdog or the button
}

uint16_t free_sram_low_water() {
  const uint8_t* p = &__heap_start;
  while (*p == kPaint) ++p;
  return (uint16_t)(p - &__heap_start);
}

void reboot() {
  wdt_enable(WDTO_15MS);
  for (;;) {
  }
}

}  // namespace board
