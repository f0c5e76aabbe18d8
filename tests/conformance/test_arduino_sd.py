"""The Arduino SD library's card layer (Sd2Card, SD over SPI) on the simulated card in the Ethernet
Shield 2's slot: init, cardSize from the CSD, single and multi-block writes, reads, each checked
against the card's image file byte for byte; and what the library sees of the model's faults.

If vendor code that works on real cards fails here, the SD card model is wrong (or our reading of
the spec is).
"""

from __future__ import annotations

import random
import re
import subprocess
import sys

import pytest

from simboard import firmware, sketch
from simboard.arducam import Camera
from simboard.firmware import PROJECT_DIR
from simboard.rig import rig
from simboard.sdcard import BLOCK, SLOW, UNDEFINED_BLOCK, SdCard
from tests.conformance.conftest import build_sketch, oracle

pytestmark = pytest.mark.conformance

BLOCKS = 2048  # a 1 MB image
WRITTEN = range(1, 6)  # the sketch writes blocks 1 and 2 alone, 3 to 5 in one multi-block write
SD_CARD_ERROR_CMD0, SD_CARD_ERROR_WRITE = 1, 0x11  # Sd2Card.h
SD_CARD_TYPE_SD2, SD_CARD_TYPE_SDHC = 2, 3


def pattern(block: int) -> bytes:
    """What the sketch writes to a block (fill() in the sketch)."""
    return bytes((block * 31 + i * 7) & 0xFF for i in range(BLOCK))


@pytest.fixture(scope="session")
def sd_sketch(tmp_path_factory):
    out = tmp_path_factory.mktemp("conformance-sd")
    return build_sketch(out, "sd_conformance.cpp", [oracle("arduino-sd"), sketch.library("SPI")])


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "card.img"
    path.write_bytes(random.Random(4).randbytes(BLOCKS * BLOCK))
    return path


def run(elf, card: SdCard | None, seconds: float = 60) -> str:
    with rig(elf, firmware.static_ram_end(elf), Camera(b""), 1, "unused.test", sd=card) as (
        board, _):
        board.wait_for_log("^done", seconds)
        assert board.bus_conflicts == 0
        return board.log_text()


def blocks_read(log: str) -> dict[int, bytes]:
    return {int(n): bytes.fromhex(h) for n, h in re.findall(r"read (\d+) ([0-9A-F]+)", log)}


def expected_image(original: bytes, written=WRITTEN, overrides=None) -> bytes:
    image = bytearray(original)
    for block in written:
        image[block * BLOCK : (block + 1) * BLOCK] = pattern(block)
    for block, data in (overrides or {}).items():
        image[block * BLOCK : (block + 1) * BLOCK] = data
    return bytes(image)


@pytest.mark.parametrize("sdhc, card_type", [(True, SD_CARD_TYPE_SDHC),
                                              (False, SD_CARD_TYPE_SD2)])
def test_init_size_writes_and_reads(sd_sketch, image, sdhc, card_type):
    original = image.read_bytes()
    card = SdCard(image, sdhc=sdhc)
    log = run(sd_sketch, card)
    assert f"init ok type {card_type}" in log and f"size {BLOCKS}" in log, log
    assert "write 1 ok" in log and "write 2 ok" in log and "multi 3 3 ok" in log, log
    expected = expected_image(original)
    assert image.read_bytes() == expected
    reads = blocks_read(log)
    assert sorted(reads) == [1, 2, 3, 4, 5, 6, BLOCKS - 1]
    for block, data in reads.items():
        assert data == expected[block * BLOCK : (block + 1) * BLOCK], f"block {block}"
    first_read = re.search(r"read 1 ([0-9A-F]+)", log).group(1)  # before any write
    assert bytes.fromhex(first_read) == original[BLOCK : 2 * BLOCK]
    assert card.violations == []
    assert card.commands[:3] == ["CMD0", "CMD8", "CMD55"]


def test_a_write_error_leaves_the_block_and_the_library_reports_it(sd_sketch, image):
    original = image.read_bytes()
    card = SdCard(image, bad_blocks={2})
    log = run(sd_sketch, card)
    assert f"write 2 failed {SD_CARD_ERROR_WRITE}" in log, log
    assert image.read_bytes() == expected_image(original, written=[1, 3, 4, 5])
    assert card.violations == []


def test_a_power_cut_mid_block_leaves_only_that_block_undefined(sd_sketch, image):
    original = image.read_bytes()
    card = SdCard(image, cut_power_after=BLOCK + 100)  # during block 2's data
    log = run(sd_sketch, card)
    assert f"write 2 failed {SD_CARD_ERROR_WRITE}" in log, log
    assert f"reinit ok type {SD_CARD_TYPE_SDHC}" in log and "multi 3 3 ok" in log, log
    assert image.read_bytes() == expected_image(original, overrides={2: UNDEFINED_BLOCK})
    assert card.power_cycles == 1


def test_a_slow_card_stays_within_the_librarys_timeouts(sd_sketch, image):
    original = image.read_bytes()
    card = SdCard(image, **SLOW)
    log = run(sd_sketch, card, seconds=120)
    assert "init ok" in log and "multi 3 3 ok" in log, log
    assert card.acmd41_tries == SLOW["init_tries"] + 1
    assert image.read_bytes() == expected_image(original)


@pytest.mark.parametrize("slot", ["empty", "absent card"])
def test_no_card_fails_at_cmd0(sd_sketch, image, slot):
    card = None if slot == "empty" else SdCard(image, present=False)
    log = run(sd_sketch, card)
    assert f"init failed {SD_CARD_ERROR_CMD0}" in log, log


def simboard_run(*args: str) -> subprocess.CompletedProcess:
    # The API is never reached (the sketch does no networking): any loopback port will do.
    return subprocess.run([sys.executable, "-m", "simboard", "run", *args,
                           "--api", "http://127.0.0.1:9", "--seconds", "30"],
                          cwd=PROJECT_DIR, capture_output=True, text=True, timeout=240)


def test_python_m_simboard_run_with_a_card(sd_sketch, image):
    original = image.read_bytes()
    result = simboard_run(str(sd_sketch), "--sd", str(image), "--until", "^done")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "multi 3 3 ok" in result.stdout
    assert "SD card: 5 blocks written" in result.stderr and "misuse []" in result.stderr
    assert image.read_bytes() == expected_image(original)


def test_python_m_simboard_run_with_card_faults(sd_sketch, image):
    original = image.read_bytes()
    result = simboard_run(str(sd_sketch), "--sd", str(image), "--sd-fault", "write-error",
                          "--until", "^done")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"write 1 failed {SD_CARD_ERROR_WRITE}" in result.stdout
    assert image.read_bytes() == original
    result = simboard_run(str(sd_sketch), "--sd", str(image), "--sd-power-cut-after", "100",
                          "--until", "^done")
    assert f"write 1 failed {SD_CARD_ERROR_WRITE}" in result.stdout and "reinit ok" in result.stdout
    assert image.read_bytes() == expected_image(original, overrides={1: UNDEFINED_BLOCK})
    result = simboard_run(str(sd_sketch), "--sd-fault", "slow")
    assert result.returncode == 1 and "give --sd IMAGE" in result.stderr
    image.write_bytes(bytes(1000))
    result = simboard_run(str(sd_sketch), "--sd", str(image))
    assert result.returncode == 1 and "whole number of 512-byte blocks" in result.stderr
