"""microSD card in SPI mode (the Ethernet Shield 2's slot, chip select D4), backed by an image
file or a bytearray.

Each rule names its source: "PLS" is the SD Physical Layer Simplified Specification (section
numbers of version 2.00, the one the Arduino library's SdInfo.h cites; chapter 7 is SPI mode),
"facts" is ../shared/docs/facts.md, "Sd2Card" the Arduino SD library's Sd2Card.cpp and
"adafruit_sdcard" CircuitPython's driver (PyPI adafruit-circuitpython-sd): both run on this model
in tests/conformance. Where nothing documents a behaviour, the comment says what the model assumes.

Commands: CMD0, CMD8, CMD9 (CSD), CMD10 (CID), CMD12, CMD13, CMD16, CMD17, CMD18, CMD24, CMD25,
CMD55, CMD58, CMD59, ACMD23, ACMD41; any other is an illegal command (R1 bit 2).

Behaviours and faults a test can choose:
- `sdhc`: True, an SDHC card (OCR CCS set, block addresses, CSD 2.0); False, a standard-capacity
  SDv2 card (byte addresses, CSD 1.0, 2 GB at most).
- `init_tries`: ACMD41s answered "idle" before the card is ready; `busy_seconds`: the programming
  time of one block write (MISO held low); `read_seconds`: the access time before a block's start
  token. A slow card is a large value of each (`SLOW`).
- `present` False: no card in the slot, nothing drives MISO (0xFF).
- `read_only`: every write is rejected (data response "write error", CMD13 shows WP violation).
- `bad_blocks`: block numbers (a set, a range...) whose writes are rejected with the data response
  "write error" (0bxxx01101), the block left unchanged, CMD13 shows "error".
- `cut_power_after`: the card loses power when this many data bytes of block writes (counted over
  all writes since power-on of the model, tokens and CRC not counted) have arrived: that block is
  left undefined (UNDEFINED_BLOCK), every other block intact (facts), and the card starts again
  from power-up (74 clocks, CMD0...). `power_cut()` does the same at any moment.

Misuse a real card would not forgive (a command before 74 clocks with CS high, a command while the
card is busy, CS raised in the middle of a block, a clock above 400 kHz during initialisation) is
recorded in `violations`.
"""

from __future__ import annotations

import binascii
import mmap
from collections import deque
from collections.abc import Container
from dataclasses import dataclass, field
from pathlib import Path

from simboard.core import SimTime

BLOCK = 512
# R1 bits (PLS 7.3.2.1)
R1_IDLE, R1_ILLEGAL_COMMAND, R1_CRC_ERROR, R1_ADDRESS_ERROR, R1_PARAMETER_ERROR = (
    0x01, 0x04, 0x08, 0x20, 0x40)
# Second byte of R2, the card status (PLS 7.3.2.3)
STATUS_ERROR, STATUS_WP_VIOLATION, STATUS_OUT_OF_RANGE = 0x04, 0x20, 0x80
# Tokens (PLS 7.3.3.2): start of a single-block read/write or of a multi-block read block; start
# of a multi-block write block; stop of a multi-block write.
START_BLOCK, START_MULTI_WRITE, STOP_TRAN = 0xFE, 0xFC, 0xFD
# Data response tokens xxx0sss1 (PLS 7.3.3.1): 010 accepted, 101 CRC error, 110 write error. The
# three top bits are undefined: the model sends ones, as many cards do, so a driver that compares
# the whole byte instead of its low five bits fails here as on those cards.
DATA_ACCEPTED, DATA_CRC_ERROR, DATA_WRITE_ERROR = 0xE5, 0xEB, 0xED
ERROR_TOKEN_OUT_OF_RANGE = 0x08  # data error token 0000xxxx, bit 3 (PLS 7.3.3.3)
STOP_BUSY_SECONDS = 50e-6  # busy after a multi-block write's stop token (an assumption)
POWER_UP_CLOCKS = 74  # PLS 6.4.1.1, facts: >= 74 clocks with CS high before the first command
INIT_MAX_HZ = 400_000  # facts: clock <= 400 kHz until initialisation completes
# OCR (PLS 5.1): bit 31 power-up done, bit 30 CCS (valid once bit 31 is set), 2.7-3.6 V window.
OCR_READY, OCR_CCS, OCR_VOLTAGES = 0x80000000, 0x40000000, 0x00FF8000
ACMD41_HCS = 0x40000000  # PLS 4.2.3: the host supports high capacity
# What a block interrupted by a power cut holds: neither the old data nor the new.
UNDEFINED_BLOCK = b"\xde\xad\xbe\xef" * (BLOCK // 4)
# The command numbers a card in idle state takes (PLS 7.2.1: CMD0, ACMD41, CMD58, CMD59; CMD8 of
# version 2.00; CMD55 to reach ACMD41). The rest are illegal commands until ACMD41 completes.
IDLE_COMMANDS = {(False, 0), (False, 8), (False, 55), (True, 41), (False, 58), (False, 59)}
# Faults by name, for the command line (python -m simboard run --sd-fault).
SLOW = {"init_tries": 200, "busy_seconds": 0.25, "read_seconds": 0.05}
COMMAND_MODE, WRITE_TOKEN, WRITE_DATA, READ_STREAM = "command", "write-token", "write-data", "read"


def crc7(message: bytes) -> int:
    """CRC7 of a command or a register, polynomial x^7 + x^3 + 1 (PLS 4.5)."""
    crc = 0
    for byte in message:
        for bit in range(7, -1, -1):
            crc <<= 1
            if ((byte >> bit) & 1) ^ ((crc >> 7) & 1):
                crc ^= 0x09
            crc &= 0x7F
    return crc


def crc16(data: bytes) -> int:
    """CRC16 of a data block, CCITT polynomial x^16 + x^12 + x^5 + 1, initial 0 (PLS 4.5)."""
    return binascii.crc_hqx(data, 0)


def _bits(fields: list[tuple[int, int, int]]) -> bytes:
    """A 128-bit register from (high bit, low bit, value) fields, CRC7 and end bit appended."""
    value = 0
    for high, low, field_value in fields:
        if field_value >> (high - low + 1):
            raise ValueError(f"{field_value} does not fit in bits {high}:{low}")
        value |= field_value << low
    body = value.to_bytes(16, "big")[:15]
    return body + bytes([crc7(body) << 1 | 1])


@dataclass
class SdCard:
    image: bytearray | Path
    sdhc: bool = True
    present: bool = True
    init_tries: int = 3
    busy_seconds: float = 0.002
    read_seconds: float = 0.0001
    response_bytes: int = 1  # 0xFF bytes before a response (Ncr: 1 to 8, PLS 7.5.1)
    read_only: bool = False
    bad_blocks: Container[int] = field(default_factory=set)
    cut_power_after: int | None = None
    clock: SimTime = field(default_factory=SimTime)  # the board binds it to its core

    def __post_init__(self):
        if isinstance(self.image, (str, Path)):
            path = Path(self.image)
            with open(path, "r+b") as file:
                if path.stat().st_size == 0:
                    raise ValueError(f"SD image {path} is empty: make one, e.g. "
                                     f"truncate -s 1M {path}")
                self.data = mmap.mmap(file.fileno(), 0)  # writes reach the file as they happen
        else:
            self.data = self.image
        self.blocks = len(self.data) // BLOCK
        self.csd = self._csd()  # checks the size first
        # CID (PLS 5.2): manufacturer 0x00, OEM "SB", product "SIMSD", revision 1.0, serial 1,
        # made January 2026.
        self.cid = _bits([(127, 120, 0x00), (119, 104, int.from_bytes(b"SB", "big")),
                          (103, 64, int.from_bytes(b"SIMSD", "big")), (63, 56, 0x10),
                          (55, 24, 1), (19, 8, 26 << 4 | 1)])
        if self.cut_power_after is not None and self.cut_power_after < 1:
            raise ValueError("cut_power_after counts data bytes: give 1 or more")
        self.spi_hz: float | None = None  # the board sets it from the AVR's SPI clock
        self.violations: list[str] = []
        self.commands: list[str] = []  # every command the card answered, e.g. "CMD17", "ACMD41"
        self.blocks_read = self.blocks_written = self.power_cycles = 0
        self.data_bytes = 0  # data bytes of block writes received, for cut_power_after
        self._power_on()

    def _csd(self) -> bytes:
        """CSD register with the image's size (PLS 5.3.3 for 2.0, 5.3.2 for 1.0). Both: TAAC
        1 ms, 25 MHz, command classes 0x5B5, 512-byte blocks, single-block erase, sector 64 KB,
        R2W_FACTOR 4."""
        if self.blocks * BLOCK != len(self.data) or self.blocks == 0:
            raise ValueError(f"SD image of {len(self.data)} bytes: give a whole number of "
                             f"512-byte blocks, at least one")
        common = [(119, 112, 0x0E), (103, 96, 0x32), (95, 84, 0x5B5), (83, 80, 9),
                  (46, 46, 1), (45, 39, 0x7F), (28, 26, 2), (25, 22, 9),
                  (12, 12, int(self.read_only))]  # TMP_WRITE_PROTECT
        if self.sdhc:  # capacity = (C_SIZE + 1) * 512 KB
            if self.blocks % 1024:
                raise ValueError(f"SDHC image of {len(self.data)} bytes: an SDHC card's CSD "
                                 f"counts in 512 KB units; pad the image to a multiple of 512 KB "
                                 f"(truncate -s ...) or use a standard-capacity card")
            return _bits([(127, 126, 1), (69, 48, self.blocks // 1024 - 1), *common])
        # 1.0: capacity = (C_SIZE + 1) * 2^(C_SIZE_MULT + 2) blocks of 512 bytes
        for mult in range(8):
            units, rest = divmod(self.blocks, 1 << (mult + 2))
            if not rest and units <= 4096:
                return _bits([(127, 126, 0), (79, 79, 1), (73, 62, units - 1),
                              (61, 50, 0xFFF), (49, 47, mult), *common])
        raise ValueError(f"standard-capacity image of {len(self.data)} bytes: give a multiple "
                         f"of 2 KB up to 2 GB that a CSD 1.0 can describe (a power of two "
                         f"number of blocks works)")

    def _power_on(self) -> None:
        """State at power-up (PLS 6.4.1): SD mode, waiting for clocks, nothing initialised."""
        self.clocks = 0
        self.spi_mode = self.ready = self.crc_on = self._app_command = False
        self.acmd41_tries = 0
        self.status = 0
        self.mode = COMMAND_MODE
        self.multi = False
        self.address = 0
        self.busy_until = 0.0
        self.programming: int | None = None  # block being programmed while busy
        self._out: deque = deque()  # ints are bytes to send; a float, a time before which 0xFF
        self._block_out = False  # the queue holds a data block the host must read whole
        self._command = bytearray()
        self._data = bytearray()
        self._init_clock_reported = False

    # --- the bus -------------------------------------------------------------------------
    def clock_deselected(self) -> None:
        """A byte went over the bus while this card's select was high: 8 clocks it sees."""
        self.clocks += 8

    def select(self, active: bool) -> None:
        if active or not self.present:
            return
        # PLS 7.1: CS stays low for a whole transaction; the host may raise it only while the
        # card programs (it goes on). Facts: the bus cannot be shared in the middle of a block.
        if self.mode == WRITE_DATA:
            self.violations.append(f"CS raised after {len(self._data)} bytes of block "
                                   f"{self.address}'s write: block left unchanged")
            self.mode = WRITE_TOKEN if self.multi else COMMAND_MODE
        elif self.mode == READ_STREAM or (self._out and self._block_out):
            self.violations.append("CS raised in the middle of a block read")
            self.mode = COMMAND_MODE
        # Between the blocks of a multi-block write the card keeps waiting for the next token.
        self._out.clear()
        self._command.clear()

    def transfer(self, mosi: int) -> int:
        if not self.present:
            return 0xFF
        miso = self._next_out()
        self._receive(mosi)
        return miso

    def _busy(self) -> bool:
        if self.clock() < self.busy_until:
            return True
        self.programming = None
        return False

    def _next_out(self) -> int:
        while True:
            if self._out:
                head = self._out[0]
                if isinstance(head, float):  # access time (Nac, PLS 7.5.2): 0xFF until then
                    if self.clock() < head:
                        return 0xFF
                    self._out.popleft()
                    continue
                self._out.popleft()
                if not self._out:
                    self._block_out = False
                return head
            if self.mode == READ_STREAM and self.address is not None:
                self._queue_stream_block()
                continue
            # PLS 7.2.4: the card holds MISO low while it programs, whether or not it was
            # deselected meanwhile.
            return 0x00 if self._busy() else 0xFF

    def _receive(self, mosi: int) -> None:
        if self.mode == WRITE_DATA:
            self._write_data(mosi)
            return
        if self._command:
            self._command.append(mosi)
            if len(self._command) == 6:
                command, self._command = bytes(self._command), bytearray()
                self._execute(command)
            return
        if self._busy():
            if mosi != 0xFF:
                self.violations.append(f"byte 0x{mosi:02x} sent while the card was busy")
            return
        if self.mode == WRITE_TOKEN and self._write_token(mosi):
            return
        if mosi & 0xC0 == 0x40:  # a command starts with bits 01 (PLS 7.3.1.1)
            self._command.append(mosi)

    def _respond(self, *response: int, data: bytes | None = None, wait: float = 0.0) -> None:
        """Queues a response after Ncr, then a data block (start token, data, CRC16) when given,
        sent once `wait` seconds have passed."""
        self._out = deque([0xFF] * self.response_bytes + list(response))
        if data is not None:
            self._queue_data(data, wait)

    def _queue_data(self, data: bytes, wait: float) -> None:
        self._out.append(self.clock() + wait)
        self._out.extend([START_BLOCK, *data, *crc16(data).to_bytes(2, "big")])
        self._block_out = True

    # --- commands (PLS 7.3.1.3) --------------------------------------------------------------
    def _execute(self, command: bytes) -> None:
        index, arg = command[0] & 0x3F, int.from_bytes(command[1:5], "big")
        crc_ok = command[5] == crc7(command[:5]) << 1 | 1
        if not self.spi_mode:
            # PLS 7.2.1: CMD0 with CS low enters SPI mode; it is still received in SD mode, so
            # its CRC is checked, and an SD-mode card answers nothing else (nor a bad CRC).
            if index != 0 or not crc_ok:
                return
            if self.clocks < POWER_UP_CLOCKS:
                self.violations.append(f"CMD0 after {self.clocks} clocks with CS high "
                                       f"(the card needs {POWER_UP_CLOCKS})")
                return
            self.spi_mode = True
            self.commands.append("CMD0")
            self._go_idle()
            return
        if self.mode == READ_STREAM:
            self._stop_stream(index)
            return
        if self.mode == WRITE_TOKEN:  # a host that gave up a write and sends a command
            self.mode = COMMAND_MODE
        app, self._app_command = self._app_command, False
        self.commands.append(("ACMD" if app else "CMD") + str(index))
        idle = 0 if self.ready else R1_IDLE
        if self.spi_hz and self.spi_hz > INIT_MAX_HZ and not self.ready \
                and not self._init_clock_reported:
            self._init_clock_reported = True
            self.violations.append(f"clocked at {self.spi_hz:.0f} Hz during initialisation")
        # PLS 7.2.2: CRC is off in SPI mode unless CMD59 turns it on, but CMD8's is always checked.
        if (self.crc_on or index == 8) and not crc_ok:
            self._respond(idle | R1_CRC_ERROR)
            return
        if not self.ready and (app, index) not in IDLE_COMMANDS:
            self._respond(idle | R1_ILLEGAL_COMMAND)
            return
        handler = getattr(self, f"_{'acmd' if app else 'cmd'}{index}", None)
        if handler is None:
            self._respond(idle | R1_ILLEGAL_COMMAND)
            return
        handler(arg, idle)

    def _go_idle(self) -> None:
        self.ready = self.crc_on = self._app_command = False
        self.acmd41_tries = 0
        self.mode = COMMAND_MODE
        self._respond(R1_IDLE)

    def _cmd0(self, arg: int, idle: int) -> None:  # GO_IDLE_STATE: software reset
        self._go_idle()

    def _cmd8(self, arg: int, idle: int) -> None:
        # SEND_IF_COND, R7 (PLS 7.3.2.6): echoes the voltage (0x1: 2.7-3.6 V, accepted) and the
        # check pattern. Sd2Card looks only at the last byte, 0xAA for its 0x1AA.
        voltage = arg >> 8 & 0x0F
        self._respond(idle, 0x00, 0x00, voltage if voltage == 1 else 0, arg & 0xFF)

    def _cmd9(self, arg: int, idle: int) -> None:  # SEND_CSD: a 16-byte data block (PLS 7.2.6)
        self._respond(idle, data=self.csd)

    def _cmd10(self, arg: int, idle: int) -> None:  # SEND_CID
        self._respond(idle, data=self.cid)

    def _cmd12(self, arg: int, idle: int) -> None:  # STOP_TRANSMISSION outside a read: no-op
        self._respond(idle)

    def _cmd13(self, arg: int, idle: int) -> None:
        # SEND_STATUS, R2 (PLS 7.3.2.3); error bits are cleared by the read. Sd2Card checks the
        # second byte after each blocking write.
        self._respond(idle, self.status)
        self.status = 0

    def _cmd16(self, arg: int, idle: int) -> None:
        # SET_BLOCKLEN: an SDHC card's block is 512 whatever is set (PLS 7.2.3); the model
        # supports only 512 on standard-capacity cards too. adafruit_sdcard sends CMD16 512.
        self._respond(idle if arg == BLOCK else idle | R1_PARAMETER_ERROR)

    def _cmd17(self, arg: int, idle: int) -> None:  # READ_SINGLE_BLOCK
        block, error = self._block_address(arg)
        if error:
            self._respond(idle | error)
            return
        self.blocks_read += 1
        self._respond(idle, data=self._load(block), wait=self.read_seconds)

    def _cmd18(self, arg: int, idle: int) -> None:
        # READ_MULTIPLE_BLOCK: blocks follow one another until CMD12 (PLS 7.2.3).
        block, error = self._block_address(arg)
        if error:
            self._respond(idle | error)
            return
        self._respond(idle)
        self.mode, self.address = READ_STREAM, block

    def _cmd24(self, arg: int, idle: int) -> None:  # WRITE_BLOCK
        self._start_write(arg, idle, multi=False)

    def _cmd25(self, arg: int, idle: int) -> None:  # WRITE_MULTIPLE_BLOCK
        self._start_write(arg, idle, multi=True)

    def _cmd55(self, arg: int, idle: int) -> None:  # APP_CMD: the next command is an ACMD
        self._app_command = True
        self._respond(idle)

    def _cmd58(self, arg: int, idle: int) -> None:
        # READ_OCR, R3 (PLS 7.3.2.4). Sd2Card takes SDHC when the first byte has both top bits.
        ocr = OCR_VOLTAGES | (OCR_READY | (OCR_CCS if self.sdhc else 0) if self.ready else 0)
        self._respond(idle, *ocr.to_bytes(4, "big"))

    def _cmd59(self, arg: int, idle: int) -> None:  # CRC_ON_OFF (PLS 7.2.2)
        self.crc_on = bool(arg & 1)
        self._respond(idle)

    def _acmd23(self, arg: int, idle: int) -> None:
        # SET_WR_BLK_ERASE_COUNT: a pre-erase hint before CMD25 (Sd2Card writeStart sends it);
        # the model has nothing to pre-erase.
        self._respond(idle)

    def _acmd41(self, arg: int, idle: int) -> None:
        # SD_SEND_OP_COND: R1 idle until initialisation completes (PLS 7.2.1). A high-capacity
        # card asked by a host without HCS never completes (PLS 4.2.3).
        if not self.ready and (arg & ACMD41_HCS or not self.sdhc):
            self.acmd41_tries += 1
            self.ready = self.acmd41_tries > self.init_tries
        self._respond(0 if self.ready else R1_IDLE)

    def _block_address(self, arg: int) -> tuple[int, int]:
        """(block, R1 error bits) of a read or write argument: a block number on SDHC, a byte
        address on standard capacity (PLS 7.2.3). A misaligned byte address is an address error,
        one past the end a parameter error (PLS 7.3.2.1)."""
        if self.sdhc:
            block = arg
        elif arg % BLOCK:
            return 0, R1_ADDRESS_ERROR
        else:
            block = arg // BLOCK
        return block, 0 if block < self.blocks else R1_PARAMETER_ERROR

    # --- reads ----------------------------------------------------------------------------
    def _load(self, block: int) -> bytes:
        return bytes(self.data[block * BLOCK : (block + 1) * BLOCK])

    def _queue_stream_block(self) -> None:
        if self.address >= self.blocks:  # data error token, out of range (PLS 7.3.3.3)
            self._out.extend([self.clock() + self.read_seconds, ERROR_TOKEN_OUT_OF_RANGE])
            self.address = None
            return
        self.blocks_read += 1
        self._queue_data(self._load(self.address), self.read_seconds)
        self.address += 1

    def _stop_stream(self, index: int) -> None:
        # PLS 7.5.2 (stop transmission): the card goes on sending data while CMD12 arrives, then
        # one stuff byte, then R1b. adafruit_sdcard reads on until it sees a byte with bit 7 clear.
        stuff = self._next_out()
        self.mode = COMMAND_MODE
        self._out = deque([stuff])
        self._block_out = False
        if index != 12:
            self.violations.append(f"CMD{index} during a multi-block read (only CMD12 stops it)")
            self._out.append(R1_ILLEGAL_COMMAND)
            return
        self.commands.append("CMD12")
        self._out.append(0)

    # --- writes ---------------------------------------------------------------------------
    def _start_write(self, arg: int, idle: int, multi: bool) -> None:
        block, error = self._block_address(arg)
        if error:
            self._respond(idle | error)
            return
        self._respond(idle)
        self.mode, self.multi, self.address = WRITE_TOKEN, multi, block

    def _write_token(self, mosi: int) -> bool:
        """Takes a write's start or stop token (PLS 7.3.3.2); False when `mosi` is none."""
        if mosi == (START_MULTI_WRITE if self.multi else START_BLOCK):
            self.mode, self._data = WRITE_DATA, bytearray()
            return True
        if self.multi and mosi == STOP_TRAN:
            # PLS 7.2.4: one byte (Nbr), then busy while the card finishes. adafruit_sdcard waits
            # for that busy byte. How long is not documented: the model takes STOP_BUSY_SECONDS.
            self.mode = COMMAND_MODE
            self._out = deque([0xFF])
            self.busy_until = max(self.busy_until, self.clock() + STOP_BUSY_SECONDS)
            return True
        return False

    def _write_data(self, mosi: int) -> None:
        self._data.append(mosi)
        if len(self._data) <= BLOCK:
            self.data_bytes += 1
            if self.data_bytes == self.cut_power_after:
                self.power_cut()
                return
        if len(self._data) < BLOCK + 2:  # 512 data bytes, 2 CRC bytes
            return
        block, data = self.address, bytes(self._data[:BLOCK])
        self.mode = WRITE_TOKEN if self.multi else COMMAND_MODE
        self.address += 1
        if self.crc_on and crc16(data) != int.from_bytes(self._data[BLOCK:], "big"):
            self._out = deque([DATA_CRC_ERROR])
            return
        for failed, status in ((block >= self.blocks, STATUS_OUT_OF_RANGE),
                               (self.read_only, STATUS_WP_VIOLATION),
                               (block in self.bad_blocks, STATUS_ERROR)):
            if failed:  # PLS 7.3.3.1: rejected, "the host may send CMD13 to get the cause"
                self.status |= status
                self._out = deque([DATA_WRITE_ERROR])
                return
        self.data[block * BLOCK : (block + 1) * BLOCK] = data
        self.blocks_written += 1
        # The data response comes in the byte after the CRC (Sd2Card reads it there), then busy.
        self._out = deque([DATA_ACCEPTED])
        self.busy_until, self.programming = self.clock() + self.busy_seconds, block

    def power_cut(self) -> None:
        """The card loses power and gets it back: a block being received or programmed is left
        undefined (facts), the others intact; the card starts again from power-up."""
        if self.mode == WRITE_DATA:
            interrupted = self.address
        else:
            interrupted = self.programming if self._busy() else None
        if interrupted is not None and interrupted < self.blocks:
            self.data[interrupted * BLOCK : (interrupted + 1) * BLOCK] = UNDEFINED_BLOCK
        self.power_cycles += 1
        self._power_on()
