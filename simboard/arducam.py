"""ArduCAM Mini 2MP Plus model: the ArduChip (SPI registers, frame FIFO) and the OV2640 sensor
(SCCB registers with bank select), serving a chosen JPEG with a chosen module behaviour.

Each rule names its source: "ArduCAM.h"/"ArduCAM.cpp" and the Mini 2MP Plus examples are the
vendor's library (../shared/oracles/arducam, run on this model by tests/conformance), "facts" is
../shared/docs/facts.md, "OV2640 DS" the sensor's datasheet. Where nothing documents a behaviour,
the comment says so and what the model assumes.

Behaviours a test can choose:
- `dummy_byte`: the first byte of the first burst after a read-pointer reset is junk (older module
  revisions, ArduCAM issue #53; the 2MP Plus has none, issue #432).
- `rewind_mask`: the FIFO control bit that resets the read pointer: 0x10 (ArduCAM.h
  FIFO_RDPTR_RST_MASK, what the vendor and an independent test on a Mini 2MP found) or 0x20 (what
  two application notes say); the other bit then resets the write pointer.
- `padding`: bytes the FIFO holds after the JPEG's end marker (facts: the sensor pads).
- `capture` ("ok", "never": the done flag never rises), `sensor` ("ok", "silent": the OV2640
  NACKs), `present` (False: no module on the bus, MISO floats high).
- `fast_bus_fault`: a module whose level shifters do not keep up above 4 MHz (facts: 8 MHz is in
  spec but the vendor tested 4 MHz on the UNO). Faults to inject, not documented behaviours:
  "fifo-bit-errors" flips a random bit in one FIFO byte in 2,000 (the long bursts show a marginal
  bus first), "garbage" returns noise for every byte (the bus check fails).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from simboard.core import SimTime

# ArduChip registers (ArduCAM.h)
TEST, CAPTURE_CTRL, FIFO_CTRL, CPLD_RESET, VERSION, STATUS = 0x00, 0x01, 0x04, 0x07, 0x40, 0x41
FIFO_SIZE1, FIFO_SIZE2, FIFO_SIZE3, BURST_READ, SINGLE_READ = 0x42, 0x43, 0x44, 0x3C, 0x3D
# FIFO control bits (ArduCAM.h: FIFO_CLEAR_MASK, FIFO_START_MASK, FIFO_RDPTR_RST_MASK,
# FIFO_WRPTR_RST_MASK)
FIFO_CLEAR_DONE, FIFO_START, FIFO_RDPTR_RST, FIFO_WRPTR_RST = 0x01, 0x02, 0x10, 0x20
CAPTURE_DONE = 0x08  # ArduCAM.h CAP_DONE_MASK of ARDUCHIP_TRIG
SENSOR_ADDRESS = 0x30  # ArduCAM.cpp: 0x60 in 8-bit form
# OV2640 registers the model reads (OV2640 DS; values as ArduCAM's ov2640_regs.h writes them)
BANK_SELECT, COM7, COM7_SRST = 0xFF, 0x12, 0x80  # COM7 is in bank 1 (sensor)
IMAGE_MODE, IMAGE_MODE_JPEG, DSP_RESET = 0xDA, 0x10, 0xE0  # bank 0 (DSP)
ZMOW, ZMOH, ZMHH = 0x5A, 0x5B, 0x5C  # bank 0: output size / 4, high bits in ZMHH
# Output sizes the vendor's tables set (ov2640_regs.h; its "1280x1024" table gives 1280x960).
JPEG_SIZES = frozenset({(160, 120), (176, 144), (320, 240), (352, 288), (640, 480), (800, 600),
                        (1024, 768), (1280, 960), (1600, 1200)})
# What a sensor that is not in JPEG mode streams: YUV 4:2:2 pixels (grey), no FF D8 anywhere.
NOT_A_JPEG = bytes([0x80, 0x10]) * 8192
# simavr's TWI message bits (avr_twi.h)
COND_START, COND_STOP, COND_ADDR, COND_ACK, COND_WRITE, COND_READ = 1, 2, 4, 8, 16, 32


def twi_message(msg: int, addr: int, data: int) -> int:
    return msg << 8 | addr << 16 | data << 24


def sensor_power_on() -> list[bytearray]:
    """Both register banks as after power-on or a COM7 soft reset (OV2640 DS: COM7 bit 7 resets
    every register to its default). The model knows the identity registers' defaults; the rest
    start at zero, which no init leaves them at."""
    banks = [bytearray(256), bytearray(256)]  # bank 0 DSP, bank 1 sensor
    banks[1][0x0A], banks[1][0x0B] = 0x26, 0x42  # PIDH, PIDL
    banks[1][0x1C], banks[1][0x1D] = 0x7F, 0xA2  # MIDH, MIDL
    return banks


@dataclass
class Camera:
    jpeg: bytes | list  # one frame, or frames served in turn, one per completed capture
    dummy_byte: bool = False
    rewind_mask: int = FIFO_RDPTR_RST
    padding: int = 4096
    capture: str = "ok"
    sensor: str = "ok"
    present: bool = True
    capture_seconds: float = 0.15
    fast_bus_fault: str | None = None
    clock: SimTime = field(default_factory=SimTime)  # the board binds it to its core
    captures: list = field(default_factory=list)  # simulated times at which captures started

    def __post_init__(self):
        self.spi_hz = 8e6  # the board sets it from the AVR's SPI clock before each byte
        self.regs = bytearray(0x80)
        self.regs[VERSION] = 0x73
        self.fifo = b""
        self.read_pointer = 0
        self.done_at: float | None = None
        self._pending = False
        self._dummy_due = True
        self.frames_served = 0
        self.corrupted_bytes = 0
        self._noise = random.Random(0)
        self._frame: list[int] = []
        self.sensor_regs = sensor_power_on()
        self.bank = 0
        self._i2c: dict = {"selected": False, "index": 0, "reg": 0}

    # --- ArduChip over SPI ------------------------------------------------------------------
    def select(self, active: bool) -> None:
        self._frame = []

    def transfer(self, mosi: int) -> int:
        if not self.present:
            return 0xFF
        fifo = bool(self._frame) and self._frame[0] in (BURST_READ, SINGLE_READ)
        miso = self._transfer(mosi)
        if self.fast_bus_fault and self.spi_hz > 4e6:
            if self.fast_bus_fault == "garbage":
                return self._noise.randrange(256)
            if fifo and len(self._frame) > 1 and self._noise.random() < 1 / 2000:
                self.corrupted_bytes += 1
                miso ^= 1 << self._noise.randrange(8)
        return miso

    def _transfer(self, mosi: int) -> int:
        frame = self._frame
        frame.append(mosi)
        if len(frame) == 1:
            return 0
        command = frame[0]
        if command == BURST_READ:  # streams from the read pointer while selected (ArduCAM.cpp)
            if self.dummy_byte and self._dummy_due:
                self._dummy_due = False
                return 0x00
            return self._fifo_byte()
        if command == SINGLE_READ:
            return self._fifo_byte() if len(frame) == 2 else 0
        if len(frame) > 2:
            return 0
        if command & 0x80:  # bit 7 set: a write (ArduCAM.cpp write_reg)
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
        if reg in (FIFO_SIZE1, FIFO_SIZE2, FIFO_SIZE3):  # 23 bits (ArduCAM.cpp read_fifo_length)
            return length >> (8 * (reg - FIFO_SIZE1)) & (0xFF if reg != FIFO_SIZE3 else 0x7F)
        return self.regs[reg]

    def _write(self, reg: int, value: int) -> None:
        if reg == FIFO_CTRL:
            if value & FIFO_CLEAR_DONE:
                self.done_at = None
            # A pointer reset moves a pointer and erases nothing (facts: nothing documents an
            # erase). The write pointer is the capture's business: each capture writes from 0.
            if value & self.rewind_mask:
                self.read_pointer, self._dummy_due = 0, True
            if value & FIFO_START:
                self._start_capture()
            return
        if reg == CPLD_RESET and value & 0x80:
            # Whether a CPLD reset clears the FIFO is not documented: the model assumes it does.
            self.fifo, self.done_at, self.read_pointer = b"", None, 0
        self.regs[reg] = value

    def _start_capture(self) -> None:
        now = self.clock()
        self.captures.append(now)
        self._pending = True
        if self.capture == "ok" and self.sensor == "ok":
            self.done_at = now + self.capture_seconds
        else:
            self.done_at = float("inf")

    def _done(self) -> bool:
        if self.done_at is None or self.clock() < self.done_at:
            return False
        if self._pending:  # the frame lands in the FIFO from offset 0; reading starts there
            self._pending = False
            if self.jpeg_mode():
                frames = self.jpeg if isinstance(self.jpeg, list) else [self.jpeg]
                image = frames[self.frames_served % len(frames)]
                pad = bytes(range(256)) * (self.padding // 256) + bytes(self.padding % 256)
                self.fifo = image + pad
            else:
                self.fifo = NOT_A_JPEG
            self.read_pointer, self._dummy_due = 0, True
            self.frames_served += 1
        return True

    # --- OV2640 over SCCB (simavr TWI messages) --------------------------------------------
    def output_size(self) -> tuple[int, int]:
        """The DSP's output size: ZMOW/ZMOH hold it divided by 4, bits 8+ in ZMHH (OV2640 DS)."""
        dsp = self.sensor_regs[0]
        width = (dsp[ZMOW] | (dsp[ZMHH] & 0x03) << 8) * 4
        height = (dsp[ZMOH] | (dsp[ZMHH] >> 2 & 0x01) << 8) * 4
        return width, height

    def jpeg_mode(self) -> bool:
        """The sensor produces a JPEG only as the vendor's init leaves it: JPEG output on in
        IMAGE_MODE, the DSP out of reset, and an output size one of its tables sets."""
        dsp = self.sensor_regs[0]
        return (dsp[IMAGE_MODE] & IMAGE_MODE_JPEG != 0 and dsp[DSP_RESET] == 0
                and self.output_size() in JPEG_SIZES)

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
        if reg == BANK_SELECT:  # bit 0 picks the bank (OV2640 DS, register 0xFF)
            self.bank = value & 1
            return
        if self.bank == 1 and reg == COM7 and value & COM7_SRST:
            self.sensor_regs = sensor_power_on()
            return
        self.sensor_regs[self.bank][reg] = value
