"""ArduCAM Mini 2MP Plus model: the ArduChip (SPI registers, frame FIFO) and the OV2640 sensor
(SCCB registers with bank select), serving a chosen JPEG with a chosen module behaviour.

Behaviours: `dummy_byte` (on some module revisions the first byte clocked out by a burst read
after the read pointer was reset is junk; later bursts continue where the last one stopped),
`dummy_every_burst` (the junk byte starts every burst transaction instead: the harsher reading
of ArduCAM's notes), `padding` (bytes the FIFO holds after the JPEG's end marker), `capture`
("ok", "never": the done flag never rises), `sensor` ("ok", "silent": the OV2640 NACKs),
`present` (False: no module on the bus at all, MISO floats high).
"""

from __future__ import annotations

from dataclasses import dataclass, field

TEST, CAPTURE_CTRL, FIFO_CTRL, CPLD_RESET, VERSION, STATUS = 0x00, 0x01, 0x04, 0x07, 0x40, 0x41
FIFO_SIZE1, FIFO_SIZE2, FIFO_SIZE3, BURST_READ, SINGLE_READ = 0x42, 0x43, 0x44, 0x3C, 0x3D
FIFO_CLEAR_DONE, FIFO_START, FIFO_RESET_WRITE, FIFO_RESET_READ = 0x01, 0x02, 0x10, 0x20
CAPTURE_DONE = 0x08
SENSOR_ADDRESS = 0x30
# simavr's TWI message bits (avr_twi.h)
COND_START, COND_STOP, COND_ADDR, COND_ACK, COND_WRITE, COND_READ = 1, 2, 4, 8, 16, 32


def twi_message(msg: int, addr: int, data: int) -> int:
    return msg << 8 | addr << 16 | data << 24


@dataclass
class Camera:
    jpeg: bytes | list  # one frame, or frames served in turn, one per completed capture
    dummy_byte: bool = False
    dummy_every_burst: bool = False
    padding: int = 4096
    capture: str = "ok"
    sensor: str = "ok"
    present: bool = True
    capture_seconds: float = 0.15
    captures: list = field(default_factory=list)  # simulated times at which captures started

    def __post_init__(self):
        self.clock = lambda: 0.0
        self.regs = bytearray(0x80)
        self.regs[VERSION] = 0x73
        self.fifo = b""
        self.read_pointer = 0
        self.done_at: float | None = None
        self._pending = False
        self._dummy_due = True
        self.frames_served = 0
        self._frame: list[int] = []
        self.sensor_regs = [bytearray(256), bytearray(256)]  # bank 0 DSP, bank 1 sensor
        self.sensor_regs[1][0x0A], self.sensor_regs[1][0x0B] = 0x26, 0x42  # PIDH, PIDL
        self.sensor_regs[1][0x1C], self.sensor_regs[1][0x1D] = 0x7F, 0xA2  # MIDH, MIDL
        self.bank = 0
        self.sensor_writes = 0
        self._i2c: dict = {"selected": False, "index": 0, "reg": 0}

    # --- ArduChip over SPI ------------------------------------------------------------------
    def select(self, active: bool) -> None:
        self._frame = []

    def transfer(self, mosi: int) -> int:
        if not self.present:
            return 0xFF
        frame = self._frame
        frame.append(mosi)
        if len(frame) == 1:
            return 0
        command = frame[0]
        if command == BURST_READ:
            if self.dummy_every_burst and len(frame) == 2:
                return 0x00
            if self.dummy_byte and self._dummy_due:
                self._dummy_due = False
                return 0x00
            return self._fifo_byte()
        if command == SINGLE_READ:
            return self._fifo_byte() if len(frame) == 2 else 0
        if len(frame) > 2:
            return 0
        if command & 0x80:
            self._write(command & 0x7F, mosi)
            return 0
        return self._read(command)

    def _fifo_byte(self) -> int:
        value = self.fifo[self.read_pointer] if self.read_pointer < len(self.fifo) else 0
        self.read_pointer += 1
        return value

    def _read(self, reg: int) -> int:
        length = len(self.fifo)
        if reg == STATUS:
            return CAPTURE_DONE if self._done() else 0
        if reg in (FIFO_SIZE1, FIFO_SIZE2, FIFO_SIZE3):
            return length >> (8 * (reg - FIFO_SIZE1)) & (0xFF if reg != FIFO_SIZE3 else 0x7F)
        return self.regs[reg]

    def _write(self, reg: int, value: int) -> None:
        if reg == FIFO_CTRL:
            if value & FIFO_CLEAR_DONE:
                self.done_at = None
            if value & FIFO_RESET_WRITE:
                self.fifo = b""
            if value & FIFO_RESET_READ:
                self.read_pointer, self._dummy_due = 0, True
            if value & FIFO_START:
                self._start_capture()
            return
        if reg == CPLD_RESET and value & 0x80:
            self.fifo, self.done_at, self.read_pointer = b"", None, 0
        self.regs[reg] = value

    def _start_capture(self) -> None:
        now = self.clock()
        self.captures.append(now)
        self.fifo, self._pending = b"", True
        if self.capture == "ok" and self.sensor == "ok" and self.sensor_writes:
            self.done_at = now + self.capture_seconds
        else:
            self.done_at = float("inf")

    def _done(self) -> bool:
        if self.done_at is None or self.clock() < self.done_at:
            return False
        if self._pending:
            self._pending = False
            frames = self.jpeg if isinstance(self.jpeg, list) else [self.jpeg]
            jpeg = frames[self.frames_served % len(frames)]
            self.fifo = jpeg + bytes(range(256)) * (self.padding // 256) + bytes(self.padding % 256)
            self.read_pointer, self._dummy_due = 0, True
            self.frames_served += 1
        return True

    # --- OV2640 over SCCB (simavr TWI messages) --------------------------------------------
    def twi(self, value: int) -> int:
        msg, addr, data = value >> 8 & 0xFF, value >> 16 & 0xFF, value >> 24 & 0xFF
        state = self._i2c
        if msg & COND_STOP:
            state["selected"] = False
            return -1
        if msg & COND_START:
            state["selected"] = self.present and self.sensor == "ok" and addr >> 1 == SENSOR_ADDRESS
            state["index"] = 0
            return twi_message(COND_ACK, addr, 1) if state["selected"] else -1
        if not state["selected"]:
            return -1
        if msg & COND_WRITE:
            if state["index"] == 0:
                state["reg"] = data
            else:
                self._sensor_write(state["reg"], data)
            state["index"] += 1
            return twi_message(COND_ACK, addr, 1)
        if msg & COND_READ:
            return twi_message(COND_READ, addr, self.sensor_regs[self.bank][state["reg"]])
        return -1

    def _sensor_write(self, reg: int, value: int) -> None:
        if reg == 0xFF:
            self.bank = value & 1
            return
        self.sensor_writes += 1
        self.sensor_regs[self.bank][reg] = value
