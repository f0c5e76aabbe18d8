"""A second SD driver written for real hardware: Adafruit's CircuitPython driver (PyPI
adafruit-circuitpython-sd) drives the card model straight from Python through an SPI adapter, in
wall-clock time: init (with CMD9 for the size and CMD16), single and multi-block reads (CMD18 and
CMD12 while the card streams) and writes (CMD25 and the stop token), checked against the image.

The driver reads a CSD 1.0 size with `(csd[8] & 0xC) >> 6`, always 0, dropping C_SIZE's two low
bits: its count() of a standard-capacity card is short, on a real card as here, so only the SDHC
count is checked. Its writeblocks() also returns 0 when the card rejects a block (the data
response of _write() is dropped), so the model's write faults are checked with Sd2Card only."""

from __future__ import annotations

import random
import time

import pytest

from simboard.sdcard import BLOCK, SdCard

adafruit_sdcard = pytest.importorskip("adafruit_sdcard")

pytestmark = pytest.mark.conformance

BLOCKS = 2048


class SpiBus:
    """What adafruit_bus_device's SPIDevice asks of a busio.SPI. Bytes reach the card while its
    select is low; with it high the card only sees the clocks (and MISO floats high)."""

    def __init__(self, card: SdCard):
        self.card, self.selected = card, False

    def try_lock(self) -> bool:
        return True

    def unlock(self) -> None:
        pass

    def configure(self, baudrate: int = 100000, polarity: int = 0, phase: int = 0, bits: int = 8):
        assert (polarity, phase, bits) == (0, 0, 8), "SD cards speak SPI mode 0"
        self.card.spi_hz = baudrate

    def _transfer(self, byte: int) -> int:
        if self.selected:
            return self.card.transfer(byte)
        self.card.clock_deselected()
        return 0xFF

    def write(self, buffer, start: int = 0, end: int | None = None) -> None:
        for byte in bytes(buffer[start:end]):
            self._transfer(byte)

    def readinto(self, buffer, start: int = 0, end: int | None = None, write_value: int = 0):
        for i in range(start, len(buffer) if end is None else end):
            buffer[i] = self._transfer(write_value)

    def write_readinto(self, out, into, out_start=0, out_end=None, in_start=0, in_end=None):
        for i, byte in enumerate(bytes(out[out_start:out_end])):
            into[in_start + i] = self._transfer(byte)


class ChipSelect:
    """A digitalio.DigitalInOut on the card's select line."""

    def __init__(self, bus: SpiBus):
        self.bus, self._value = bus, True

    def switch_to_output(self, value: bool = True, drive_mode=None) -> None:
        self.value = value

    @property
    def value(self) -> bool:
        return self._value

    @value.setter
    def value(self, level: bool) -> None:
        if level != self._value:
            self.bus.card.select(not level)
        self.bus.selected = not level
        self._value = level


def pattern(seed: int, blocks: int = 1) -> bytes:
    return random.Random(seed).randbytes(blocks * BLOCK)


@pytest.mark.parametrize("sdhc", [True, False], ids=["sdhc", "standard-capacity"])
def test_init_reads_and_writes(tmp_path, sdhc):
    image = tmp_path / "card.img"
    original = pattern(0, BLOCKS)
    image.write_bytes(original)
    start = time.monotonic()
    card = SdCard(image, sdhc=sdhc, clock=lambda: time.monotonic() - start)
    bus = SpiBus(card)
    driver = adafruit_sdcard.SDCard(bus, ChipSelect(bus))
    if sdhc:
        assert driver.count() == BLOCKS
    one = bytearray(BLOCK)
    assert driver.readblocks(7, one) == 0 and bytes(one) == original[7 * BLOCK : 8 * BLOCK]
    assert driver.writeblocks(1, pattern(1)) == 0
    assert driver.writeblocks(2, pattern(2, 3)) == 0  # blocks 2 to 4 in one CMD25
    expected = original[:BLOCK] + pattern(1) + pattern(2, 3) + original[5 * BLOCK :]
    assert image.read_bytes() == expected
    four = bytearray(4 * BLOCK)
    assert driver.readblocks(1, four) == 0  # CMD18, then CMD12 while the card streams block 5
    assert bytes(four) == expected[BLOCK : 5 * BLOCK]
    assert driver.readblocks(BLOCKS - 1, one) == 0 and bytes(one) == expected[-BLOCK:]
    assert "CMD18" in card.commands and "CMD12" in card.commands and "CMD25" in card.commands
    assert card.violations == []
