"""The simulated ATmega328P: Debian's simavr (libsimavr) through a small C shim, loaded with ctypes.

The shim (_core.c) is compiled on first use into a cache folder keyed by its source hash.
Peripheral models are Python callables: spi(mosi, selected, divider) -> miso (SCK = F_CPU /
divider), twi(msg) -> reply or -1,
uart(byte), cs(selected). `selected` is a bit mask of the chip selects driven low: SELECT_W5500
(PB2, D10), SELECT_CAMERA (PD7, D7), SELECT_SD (PD4, D4: the shield's microSD slot).
simavr keeps per-process state, so a process runs one board at a time (pytest runs each
scenario in the same process, one after the other).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import subprocess
import sys
from pathlib import Path

F_CPU = 16_000_000
MCUSR = 0x54  # data-space address of the reset flags (ATmega328P datasheet, register summary)
SRAM_START, RAMEND, EEPROM_SIZE = 0x100, 0x8FF, 1024
CPU_DONE, CPU_CRASHED = 5, 6  # simavr's cpu_Done / cpu_Crashed
SELECT_W5500, SELECT_CAMERA, SELECT_SD = 1, 2, 4  # the bits of `selected` (_core.c selected())

_SOURCE = Path(__file__).with_name("_core.c")
SPI_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int)
TWI_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_uint32)
BYTE_FN = ctypes.CFUNCTYPE(None, ctypes.c_int)


class SimTime:
    """Simulated seconds for the models and the network. Until a board binds it to its core it
    stands still where set() puts it (model tests move it by hand); bound, it is the core's cycle
    counter. A model that schedules an event calls wake(when), so the board can stop its core early
    for it."""

    def __init__(self, start: float = 0.0):
        self._manual = start
        self._core: Core | None = None
        self._on_wake = None

    def __call__(self) -> float:
        return self._core.cycle / F_CPU if self._core is not None else self._manual

    def set(self, seconds: float) -> None:
        if self._core is not None:
            raise RuntimeError("a board's time follows its core")
        self._manual = seconds

    def bind(self, core: Core, on_wake) -> None:
        self._core, self._on_wake = core, on_wake

    def wake(self, when: float) -> None:
        if self._on_wake is not None:
            self._on_wake(when)


class SimulatorError(RuntimeError):
    """The simulator could not load or run the firmware."""


def _library() -> ctypes.CDLL:
    digest = hashlib.sha256(_SOURCE.read_bytes()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "simboard" / digest
    so = cache / "core.so"
    if not so.exists():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = cache / f"core.{os.getpid()}.so"
        cmd = [
            "cc",
            "-O2",
            "-Wall",
            "-shared",
            "-fPIC",
            "-o",
            str(tmp),
            str(_SOURCE),
            "-lsimavr",
            "-lelf",
        ]
        subprocess.run(cmd, check=True)
        tmp.replace(so)
    lib = ctypes.CDLL(str(so))
    lib.sb_open.restype = ctypes.c_void_p
    lib.sb_open.argtypes = [ctypes.c_char_p, ctypes.c_uint32, SPI_FN, TWI_FN, BYTE_FN, BYTE_FN]
    lib.sb_run.argtypes = [ctypes.c_void_p, ctypes.c_uint64]
    for name in ("sb_stop", "sb_reset", "sb_cycle", "sb_spi_bytes", "sb_sram", "sb_pc"):
        getattr(lib, name).argtypes = [ctypes.c_void_p]
    lib.sb_eeprom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    lib.sb_cycle.restype = lib.sb_spi_bytes.restype = ctypes.c_uint64
    lib.sb_sram.restype = ctypes.POINTER(ctypes.c_uint8)
    lib.sb_pc.restype = ctypes.c_uint16
    return lib


@contextlib.contextmanager
def _quiet_stdout():
    sys.stdout.flush()
    saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


class Core:
    """One ATmega328P at 16 MHz running an ELF, its buses wired to the given callables."""

    def __init__(self, elf: Path, spi, twi, uart, cs):
        self._lib = _library()
        # Keep the ctypes thunks alive as long as the core: C holds raw pointers to them.
        self._callbacks = (SPI_FN(spi), TWI_FN(twi), BYTE_FN(uart), BYTE_FN(cs))
        with _quiet_stdout():  # simavr's loader prints "Loaded N .text ..." with printf
            self._board = self._lib.sb_open(str(elf).encode(), F_CPU, *self._callbacks)
        if not self._board:
            raise SimulatorError(f"simavr could not load {elf}")
        self._data = self._lib.sb_sram(self._board)

    @property
    def cycle(self) -> int:
        return self._lib.sb_cycle(self._board)

    @property
    def spi_bytes(self) -> int:
        return self._lib.sb_spi_bytes(self._board)

    def run_until(self, cycle: int) -> None:
        """Run the firmware until `cycle` (or a model calls stop()); raise if the core dies."""
        state = self._lib.sb_run(self._board, cycle)
        if state in (CPU_DONE, CPU_CRASHED):
            pc = self._lib.sb_pc(self._board)
            raise SimulatorError(f"AVR core stopped (state {state}) at pc 0x{pc:04x}")

    def stop(self) -> None:
        self._lib.sb_stop(self._board)

    def reset(self, bootloader: bool = False) -> None:
        """The reset button: the MCU restarts with MCUSR's external-reset flag; EEPROM, SRAM and
        the other chips (the camera's FIFO, the W5500) keep their state. bootloader: as on a UNO
        with its stock bootloader, which reads and clears MCUSR before it starts the sketch
        (optiboot 4.4, bootloaders/optiboot/optiboot.c in the Arduino AVR core: `ch = MCUSR;
        MCUSR = 0;`) and hands nothing on; its wait for an upload is not simulated."""
        self._lib.sb_reset(self._board)
        if bootloader:
            self._data[MCUSR] = 0

    def peek(self, address: int, length: int = 1) -> bytes:
        return bytes(self._data[address : address + length])

    @property
    def eeprom(self) -> bytes:
        image = ctypes.create_string_buffer(EEPROM_SIZE)
        self._lib.sb_eeprom(self._board, image, 0)
        return image.raw

    @eeprom.setter
    def eeprom(self, image: bytes) -> None:
        if len(image) != EEPROM_SIZE:
            raise ValueError(f"EEPROM image must be {EEPROM_SIZE} bytes")
        self._lib.sb_eeprom(self._board, ctypes.create_string_buffer(bytes(image), EEPROM_SIZE), 1)

    def poke(self, address: int, data: bytes) -> None:
        for i, value in enumerate(data):
            self._data[address + i] = value


def run_program(elf: Path, seconds: float = 30.0) -> str:
    """Runs a bare program (its own main(), nothing on SPI or TWI) until it stops the CPU (sleep
    with interrupts off) or `seconds` of simulated time pass; returns what it wrote on the UART."""
    out = bytearray()
    core = Core(elf, lambda mosi, selected, divider: 0xFF, lambda msg: -1, out.append,
                lambda selected: None)
    state = core._lib.sb_run(core._board, round(seconds * F_CPU))
    # simavr 1.6 reports a sleep with interrupts off, the way such a program ends, as a crash too:
    # the caller checks that the output is complete.
    if state not in (CPU_DONE, CPU_CRASHED):
        raise SimulatorError(f"{elf.name} still running after {seconds} simulated seconds")
    return out.decode("latin-1")
