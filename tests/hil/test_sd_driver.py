"""The firmware's own SD driver (firmware/lib/sdcard: raw 512-byte blocks over SPI, chip select D4)
on the simulated card, which the Arduino SD library and CircuitPython's driver vouch for
(tests/conformance): init on SDHC and standard-capacity cards, writes and reads checked against the
image, and the faults a camera on a roof meets (no card, a refused write, a power cut mid-block,
a slow card)."""

from __future__ import annotations

import re

import pytest

from simboard import firmware, sketch
from simboard.arducam import Camera
from simboard.rig import rig
from simboard.sdcard import BLOCK, SLOW, SdCard

pytestmark = pytest.mark.hil

FIRMWARE = firmware.PROJECT_DIR / "firmware"
BLOCKS = 2048


def pattern(n: int) -> bytes:
    return bytes((n * 31 + i * 7) & 0xFF for i in range(BLOCK))  # fill() in sd_blocks.cpp


@pytest.fixture(scope="module")
def sd_elf(tmp_path_factory):
    libraries = [FIRMWARE / "lib" / name for name in ("sdcard", "spi_bus")]
    return sketch.build([FIRMWARE / "test" / "avr" / "sd_blocks.cpp"], libraries,
                        tmp_path_factory.mktemp("sd-driver"))


def run(elf, card: SdCard | None, seconds: float = 30) -> str:
    with rig(elf, firmware.static_ram_end(elf), Camera(b""), 1, "unused.test", sd=card) as (
            board, _):
        board.wait_for_log("^done", seconds)
        assert board.bus_conflicts == 0
        if card is not None:
            assert card.violations == []
        return board.log_text()


@pytest.mark.parametrize("sdhc", [True, False], ids=["sdhc", "standard-capacity"])
def test_blocks_written_and_read_back(sd_elf, sdhc):
    card = SdCard(bytearray(BLOCKS * BLOCK), sdhc=sdhc)
    log = run(sd_elf, card)
    assert f"init ok {BLOCKS}" in log
    for n in range(1, 5):
        assert f"write {n} ok" in log
        assert bytes(card.data[n * BLOCK:(n + 1) * BLOCK]) == pattern(n)
        assert re.search(rf"read {n} ok {pattern(n)[:16].hex().upper()}", log)
    assert "read past the end: block past the card's end" in log
    assert bytes(card.data[:BLOCK]) == bytes(BLOCK)  # block 0 untouched


def test_no_card_is_said_so(sd_elf):
    assert "init no card 0" in run(sd_elf, None)
    assert "init no card 0" in run(sd_elf, SdCard(bytearray(BLOCKS * BLOCK), present=False))


def test_a_refused_write_is_an_error_not_a_hang(sd_elf):
    card = SdCard(bytearray(BLOCKS * BLOCK), bad_blocks={2})
    log = run(sd_elf, card)
    assert "write 2 card refused" in log and "write 3 ok" in log
    assert bytes(card.data[2 * BLOCK:3 * BLOCK]) == bytes(BLOCK)


def test_a_power_cut_mid_block_loses_that_block_only(sd_elf):
    card = SdCard(bytearray(BLOCKS * BLOCK), cut_power_after=BLOCK + 100)  # inside block 2
    log = run(sd_elf, card)
    assert card.power_cycles >= 1
    assert "write 2 ok" in log  # initialised again and written again
    for n in range(1, 5):
        assert bytes(card.data[n * BLOCK:(n + 1) * BLOCK]) == pattern(n)


def test_a_slow_card_is_waited_for(sd_elf):
    log = run(sd_elf, SdCard(bytearray(BLOCKS * BLOCK), **SLOW), seconds=60)
    assert "write 4 ok" in log and "read 4 ok" in log
