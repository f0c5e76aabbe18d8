// Board-level safety: the AVR watchdog as the last resort against a hang, and the cause of the
// last reset. The reset flags are saved and the watchdog disarmed before main() runs, because
// after a watchdog reset the watchdog stays armed with its shortest timeout.
#pragma once
#include <stdint.h>

namespace board {

void arm_watchdog();              // 8 s; every wait in the firmware kicks it while it polls
const char* reset_cause_P();      // "watchdog", "brown-out", "external", "power-on", "unknown"
[[noreturn]] void reboot();       // lets the watchdog reset the board

}  // namespace board
