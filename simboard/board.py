"""The simulated camera board: the ATmega328P core wired to the W5500, the ArduCAM, the shield's
microSD slot and the serial log as on the real board (the shield and the module: W5500 select PB2
(D10), ArduCAM select PD7 (D7), SD card select PD4 (D4), OV2640 on TWI).

`run(seconds)` advances simulated time in small steps, between which the network delivers what
is due. While a TCP request waits for a real server's answer, simulated time is held to wall
time, so the server's latency counts as it would on a real board.
"""

from __future__ import annotations

import math
import re
import select
import time
from pathlib import Path

from simboard.arducam import Camera
from simboard.core import F_CPU, RAMEND, SELECT_CAMERA, SELECT_SD, SELECT_W5500, Core
from simboard.network import Network
from simboard.sdcard import SdCard

STEP = 0.001  # seconds of simulated time between network polls
PAINT = 0xA5


class BoardError(AssertionError):
    """The simulated board did not do what the scenario waited for."""


class Board:
    def __init__(
        self,
        elf: Path,
        camera: Camera,
        network: Network,
        heap_start: int | None = None,
        eeprom: bytes | None = None,
        sd: SdCard | None = None,
    ):
        """`sd`: the card in the shield's slot; None is an empty slot (MISO stays pulled up)."""
        self.camera, self.network, self.chip, self.sd = camera, network, network.chip, sd
        self._target = 0
        self._selected = 0
        self.log_lines: list[tuple[float, str]] = []
        self._line = bytearray()
        self.bus_conflicts = 0
        self.core = Core(elf, self._spi, camera.twi, self._uart, self._cs)
        clocks = [network.clock, camera.clock] + ([sd.clock] if sd is not None else [])
        for clock in {id(c): c for c in clocks}.values():
            clock.bind(self.core, self._wake)  # the models' time is this core's from now on
        if eeprom is not None:
            self.core.eeprom = eeprom
        self.heap_start = heap_start
        if heap_start is not None:
            self.core.poke(heap_start, bytes([PAINT]) * (RAMEND + 1 - heap_start))
        self._pace: tuple[float, float] | None = None

    def now(self) -> float:
        return self.core.cycle / F_CPU

    # --- buses -----------------------------------------------------------------------------
    def _cs(self, selected: int) -> None:
        changed = selected ^ self._selected
        self._selected = selected
        if changed & SELECT_W5500:
            self.chip.select(bool(selected & SELECT_W5500))
        if changed & SELECT_CAMERA:
            self.camera.select(bool(selected & SELECT_CAMERA))
        if changed & SELECT_SD and self.sd is not None:
            self.sd.select(bool(selected & SELECT_SD))

    def _spi(self, mosi: int, selected: int, divider: int) -> int:
        if selected != self._selected:
            self._cs(selected)
        if self.sd is not None and not selected & SELECT_SD:
            self.sd.clock_deselected()  # SCK reaches the card whoever is selected
        if selected == SELECT_W5500:
            return self.chip.transfer(mosi)
        if selected == SELECT_CAMERA:
            self.camera.spi_hz = F_CPU / divider
            return self.camera.transfer(mosi)
        if selected == SELECT_SD and self.sd is not None:
            self.sd.spi_hz = F_CPU / divider
            return self.sd.transfer(mosi)
        if selected & (selected - 1):  # two or more selects low: their outputs fight on MISO
            self.bus_conflicts += 1
        return 0xFF  # nobody drives MISO: the pull-up (an empty SD slot too)

    def _uart(self, byte: int) -> None:
        if byte == 0x0A:
            self.log_lines.append((self.now(), self._line.decode("latin-1").rstrip("\r")))
            self._line.clear()
        else:
            self._line.append(byte)

    # --- running ---------------------------------------------------------------------------
    def run(self, seconds: float, until=None) -> bool:
        """Run for `seconds` of simulated time, or until `until()` is true (then return True)."""
        end = self.core.cycle + round(seconds * F_CPU)  # whole cycles: no float creep at the end
        step = round(STEP * F_CPU)
        while self.core.cycle < end:
            self._target = min(end, self.core.cycle + step)
            due = self.network.next_event()
            if due is not None:  # stop exactly when the network has something to deliver
                self._target = max(self.core.cycle + 1, min(self._target, math.ceil(due * F_CPU)))
            self.core.run_until(self._target)
            self.network.poll()
            self._hold_to_wall_time()
            if until is not None and until():
                return True
        return False

    def _wake(self, when: float) -> None:
        """The network scheduled an event: stop the core early if it falls in the running step."""
        if when * F_CPU < self._target:
            self.core.stop()

    def _hold_to_wall_time(self) -> None:
        if not self.network.awaiting_peer:
            self._pace = None
            return
        if self._pace is None:
            self._pace = (time.monotonic(), self.now())
        wall0, sim0 = self._pace
        ahead = (self.now() - sim0) - (time.monotonic() - wall0)
        if ahead > 0:
            select.select(self.network.sockets(), [], [], ahead)
        else:  # behind (sending is slower than real time): no lead to run the wait faster on
            self._pace = (time.monotonic(), self.now())

    def wait_for_log(self, pattern: str, seconds: float, start: int = 0) -> re.Match:
        """Run until a serial line matching `pattern` appears (after line `start`)."""
        regex = re.compile(pattern)
        found: list[re.Match] = []
        position = [start]

        def seen() -> bool:
            for _, line in self.log_lines[position[0] :]:
                position[0] += 1
                match = regex.search(line)
                if match:
                    found.append(match)
                    return True
            return False

        if seen() or self.run(seconds, seen):
            return found[0]
        raise BoardError(
            f"no serial line matching {pattern!r} within {seconds} s\n{self.log_text()}"
        )

    def log_text(self) -> str:
        return "\n".join(f"{t:10.3f} {line}" for t, line in self.log_lines)

    # --- memory ----------------------------------------------------------------------------
    def free_sram_low_water(self) -> int:
        """Bytes between the end of static data and the deepest the stack ever reached."""
        if self.heap_start is None:
            raise ValueError("board was started without SRAM painting")
        memory = self.core.peek(self.heap_start, RAMEND + 1 - self.heap_start)
        untouched = 0
        for value in memory:
            if value != PAINT:
                break
            untouched += 1
        return untouched
