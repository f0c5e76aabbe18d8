// Board-level safety: the AVR watchdog as the last resort against a hang, the cause of the last
// reset and the stack's low-water mark. The reset flags are saved and the watchdog disarmed
// before main() runs, because after a watchdog reset the watchdog stays armed with its shortest
// timeout; the free SRAM is painted then too, so the deepest the stack ever reached can be read.
#pragma once
#include <stdint.h>

namespace board {

void arm_watchdog();              // 8 s; every wait in the firmware kicks it while it polls
// The health report's names (chalicelib/protocol/fleet.py TROUBLE_RESETS names the trouble):
// "watchdog", "brownout", "external", "poweron" from MCUSR, or when a bootloader cleared it,
// "poweron" (RAM was lost) or "restart" (RAM kept: the watchdog or the reset button).
const char* reset_cause_P();
uint16_t free_sram_low_water();   // bytes between static data and the deepest the stack reached
[[noreturn]] void reboot();       // lets the watchdog reset the board

}  // namespace board
