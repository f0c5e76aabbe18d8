"""Fixtures for the hardware-in-the-loop scenarios: the firmware built with tests/hil/config.h,
the real local stack, and a runner that puts the board on a rig and reports what reached S3.

Set SIMBOARD_REPORT=<file> to append one line per scenario (simboard.report: wall time, simulated
time, free SRAM low-water mark, SPI bytes); bench/bench_hil.py reads them.

The service's clock follows simulated time: at each TCP connection the firmware opens, the rig
sets the local stack's clock so that the service's now = the scenario's service_start + the
simulated seconds since the board started (the simulated board runs faster or slower than the wall
clock). The camera's schedule in the service is SCHEDULE: a capture every minute, the first one
FIRST_SLOT_S simulated seconds after the board starts (it asks with its hello at boot), and the
camera falls back to its configured interval (20 s) whenever it has no signed answer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from simboard import firmware, report
from simboard.rig import rig, service_clock
from stopmotion.camera import FileSecrets

CONFIG = firmware.HIL_CONFIG
SETTINGS = firmware.settings(CONFIG)
CAMERA_ID, HOST = SETTINGS.camera_id, SETTINGS.host
SETTLE_S = 2.0
SCHEDULE = "every 1m"
SLOT_S = 60  # between two captures of SCHEDULE
FIRST_SLOT_S = 10
# The service's time when a scenario's board starts: FIRST_SLOT_S before a slot of SCHEDULE.
SERVICE_START = datetime(2026, 12, 1, 11, 59, 60 - FIRST_SLOT_S, tzinfo=UTC)


@pytest.fixture(scope="session")
def hil_elf(tmp_path_factory):
    """(ELF path, start of free SRAM) of the real firmware built with the test config."""
    elf = firmware.build(CONFIG, tmp_path_factory.mktemp("hil-build"))
    return elf, firmware.static_ram_end(elf)


@pytest.fixture(scope="session")
def hil_stack(local_stack):
    """The shared local stack, knowing the test camera's secret."""
    store = FileSecrets(local_stack.secrets_file)
    store.set_camera(
        CAMERA_ID, SETTINGS.secret, replace=CAMERA_ID in store.load()["cameras"]
    )
    store.set_schedule(CAMERA_ID, SCHEDULE)
    return local_stack


@pytest.fixture(scope="session")
def eeprom():
    """The board's EEPROM, kept across scenarios as the chip keeps it across resets (the signed
    request counter lives there; the service refuses a counter it has seen)."""
    return bytearray(b"\xff" * 1024)


@dataclass
class Outcome:
    board: object
    proxy: object
    stored: list = field(default_factory=list)  # (key, body bytes, metadata), oldest first

    def serial(self) -> str:
        return self.board.log_text()


def stored_frames(stack, camera: str = CAMERA_ID) -> set:
    """Keys of the camera's frames in the stack's bucket."""
    s3 = stack.s3_client()
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=stack.bucket, Prefix=f"frames/{camera}/"
    )
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def stored_objects(stack, camera: str) -> dict:
    """The camera's frames in the stack's bucket: key -> bytes."""
    s3 = stack.s3_client()
    return {key: s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read()
            for key in stored_frames(stack, camera)}


@pytest.fixture
def scenario(hil_elf, hil_stack, eeprom, request):
    """Run a scenario: scenario(camera, drive, settle=SETTLE_S, service_start=SERVICE_START,
    **rig options) -> Outcome. `drive(board, proxy)` runs the board until what the scenario waits
    for, then the board runs `settle` seconds more (0: it stops there, as at a power cut); frames
    stored meanwhile are returned. The service's clock follows simulated time from service_start
    (the module's docstring); it is the machine's again after the scenario. figures(outcome) ->
    {name: value} adds figures to the scenario's report line (simboard.report)."""
    elf, heap_start = hil_elf

    def run(camera, drive, settle: float = SETTLE_S, service_start: datetime = SERVICE_START,
            figures=None, **options) -> Outcome:
        stack = hil_stack
        before = stored_frames(stack)
        started = time.monotonic()
        options.setdefault("eeprom", eeprom)
        options.setdefault("on_connect", service_clock(stack.set_clock, service_start))
        with rig(elf, heap_start, camera, stack.api_port, HOST, **options) as (
            board,
            proxy,
        ):
            try:
                drive(board, proxy)
                board.run(settle)  # let the firmware finish; a duplicate upload would show here
            except BaseException:
                print(board.log_text())
                raise
            finally:
                stack.set_clock(0)
            outcome = Outcome(board, proxy)
            wall = time.monotonic() - started
            s3 = stack.s3_client()
            for key in sorted(stored_frames(stack) - before):
                obj = s3.get_object(Bucket=stack.bucket, Key=key)
                # S3 servers differ in the case of metadata names (rclone capitalises them)
                metadata = {name.lower(): value for name, value in obj["Metadata"].items()}
                outcome.stored.append((key, obj["Body"].read(), metadata))
            report.record(request.node.name, board, wall, **(figures(outcome) if figures else {}))
            print(board.log_text())
            assert board.chip.violations == [], "W5500 misuse"
            assert board.chip.ignored_commands == [], "a W5500 command its socket does not take"
            # Legal on the chip, but a driver that needs the value it wrote would be wrong on it.
            assert board.chip.stale_pointer_reads == [], "read a buffer pointer before its command"
            assert board.bus_conflicts == 0, "two SPI chip selects low at once"
            # The budget: the stack never comes within 512 bytes of the heap's start.
            assert board.free_sram_low_water() >= firmware.SRAM_FREE_MIN, "SRAM below its budget"
            return outcome

    return run


def uploaded(proxy, count: int = 1):
    """A `until` predicate: `count` requests answered 201 by the service."""
    return lambda: sum(1 for r in proxy.requests if r.status == 201) >= count


def is_hello(request) -> bool:
    """The camera's hello (a signed POST without a body) rather than a frame."""
    return request.content_length == 0


def frame_requests(proxy) -> list:
    """The requests that carried a frame (not the hello)."""
    return [r for r in proxy.requests if not is_hello(r)]


def captured(camera, count: int):
    """A `until` predicate: the camera has taken `count` frames."""
    return lambda: len(camera.captures) >= count


def eeprom_counter(eeprom: bytes) -> int:
    """The signed-request counter in an EEPROM image (auth::FrameCounter at address 0: two slots of
    {value, ~value}, little-endian; the higher valid one counts, erased reads as 0)."""
    values = []
    for slot in (0, 8):
        value = int.from_bytes(eeprom[slot : slot + 4], "little")
        if int.from_bytes(eeprom[slot + 4 : slot + 8], "little") == value ^ 0xFFFFFFFF:
            values.append(value)
    return max(values, default=0)
