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
from tests.conformance.circuitpython_spi import ChipSelect, SpiBus

adafruit_sdcard = pytest.importorskip("adafruit_sdcard")

pytestmark = pytest.mark.conformance

BLOCKS = 2048


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
