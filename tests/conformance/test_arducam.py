"""The ArduCAM library (ArduChip and OV2640 driver) on the simulated Mini 2MP Plus: the vendor's
sensor init leaves the same register state as the firmware's (a differential test, for each
resolution the firmware offers), and the vendor's FIFO reads give the served JPEG byte for byte.

If vendor code that works on real modules fails here, the ArduCAM model is wrong: this is what
showed that bit 4 of the FIFO control register rewinds the read pointer, not bit 5.
"""

from __future__ import annotations

import re

import pytest

from simboard import firmware, sketch
from simboard.arducam import Camera
from simboard.frames import photo_jpeg
from simboard.rig import rig
from tests.conformance.conftest import build_sketch, header, oracle

pytestmark = pytest.mark.conformance

QUALITY = 12
# The firmware's ov2640::Resolution, in order, and the vendor's size that sets the same output.
RESOLUTIONS = ["640x480", "800x600", "1024x768", "1280x960", "1600x1200"]
JPEG = photo_jpeg(160, 120, seed=11)
MEMORYSAVER = """#ifndef _MEMORYSAVER_
#define _MEMORYSAVER_
#define OV2640_MINI_2MP_PLUS
#endif
"""


@pytest.fixture(scope="session")
def vendor_sketch(tmp_path_factory):
    library = oracle("arducam") / "ArduCAM"
    out = tmp_path_factory.mktemp("conformance-arducam")
    config = header(out / "include" / "conformance_config.h", {"CONF_QUALITY": str(QUALITY)})
    # The library takes its module from memorysaver.h, which ships set to another module: ours,
    # read first, defines the guard so the shipped one is skipped (the oracle stays untouched).
    saver = out / "include" / "memorysaver_2mp_plus.h"
    saver.write_text(MEMORYSAVER)
    return build_sketch(out, "arducam_conformance.cpp",
                        [library, sketch.library("SPI"), sketch.library("Wire")],
                        include=[config.parent], forced_includes=[saver])


@pytest.fixture(scope="session")
def firmware_init_sketch(tmp_path_factory):
    out = tmp_path_factory.mktemp("conformance-ov2640")
    config = header(out / "include" / "conformance_config.h", {"CONF_QUALITY": str(QUALITY)})
    libraries = sorted(p for p in (firmware.PROJECT_DIR / "firmware" / "lib").iterdir()
                       if p.is_dir())
    return build_sketch(out, "ov2640_init.cpp", libraries, include=[config.parent])


def run_sketch(elf, camera: Camera, seconds: float, snapshot=None, until: str | None = None):
    """Runs a sketch on the board (no network needed) through its 'init <i>' lines, calling
    snapshot(i) at each, then until a line matching `until`; returns the serial log."""
    with rig(elf, firmware.static_ram_end(elf), camera, 1, "unused.test") as (board, _):
        for i in range(len(RESOLUTIONS)):
            line = board.wait_for_log(rf"^init {i} (\w+)", seconds)
            assert line.group(1) == "ok", board.log_text()
            if snapshot:
                snapshot(i)
        if until:
            board.wait_for_log(until, seconds)
        return board.log_text()


def sensor_states(elf) -> list[list[bytes]]:
    """Both register banks of the sensor after the set-up for each resolution."""
    camera = Camera(JPEG)
    states: list[list[bytes]] = []
    run_sketch(elf, camera, 30, lambda i: states.append([bytes(b) for b in camera.sensor_regs]))
    return states


def test_vendor_init_leaves_the_firmwares_sensor_state(vendor_sketch, firmware_init_sketch):
    vendor, ours = sensor_states(vendor_sketch), sensor_states(firmware_init_sketch)
    for i, name in enumerate(RESOLUTIONS):
        differences = [f"bank {bank} reg 0x{reg:02x}: vendor 0x{v:02x}, firmware 0x{o:02x}"
                       for bank in (0, 1)
                       for reg, (v, o) in enumerate(zip(vendor[i][bank], ours[i][bank],
                                                        strict=True)) if v != o]
        assert differences == [], f"{name}:\n" + "\n".join(differences)


def test_vendor_capture_reads_give_the_served_jpeg(vendor_sketch):
    camera = Camera(JPEG, padding=2000)
    log = run_sketch(vendor_sketch, camera, 120, until="^done")
    assert "spi: 55" in log and "sensor: 26 42" in log
    assert f"length {len(JPEG) + 2000}" in log
    passes = dict(re.findall(r"pass (\d): ([0-9A-F]*)", log))
    assert {p: bytes.fromhex(h) for p, h in passes.items()} == {"1": JPEG, "2": JPEG, "3": JPEG}
    assert len(camera.captures) == 1
