"""The camera captures on the service's clock: the real firmware on the simulated board against the
real local stack, whose clock follows simulated time (tests/hil/conftest.py). The camera asks when
to capture with a hello at boot, takes each frame when the signed answer's Next= says, and falls
back to its configured interval when no signed answer comes. Every request carries its health,
which reaches the frame's metadata and GET /cameras.

Capture-time error: the stored frames' capture times (the service's: arrival minus the signed Age)
against the scheduled times, printed and written to the scenario's report line (SIMBOARD_REPORT;
`make bench BENCH=bench_hil` prints it). Goal: within 5 s.
"""

from __future__ import annotations

import contextlib
import json
import re
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.protocol import upload
from simboard.arducam import Camera
from simboard.frames import photo_jpeg
from simboard.network import Faults
from stopmotion.camera import FileSecrets
from tests.conftest import cameras_for
from tests.hil.conftest import CAMERA_ID, SCHEDULE, SETTINGS, frame_requests, is_hello, uploaded

pytestmark = pytest.mark.hil

INTERVAL_S = SETTINGS.interval_s
CAPTURE_ERROR_GOAL_S = 5.0
FRAMES = [photo_jpeg(320, 240, seed=40 + i) for i in range(6)]


@contextlib.contextmanager
def schedule(stack, text: str):
    """The HIL camera's schedule in the service, for one scenario (the service reads the secrets
    file again when it changes)."""
    store = FileSecrets(stack.secrets_file)
    store.set_schedule(CAMERA_ID, text)
    try:
        yield store
    finally:
        store.set_schedule(CAMERA_ID, SCHEDULE)


def lines(board, pattern: str) -> list[tuple[float, str]]:
    return [(t, line) for t, line in board.log_lines if re.search(pattern, line)]


def captured_at(meta: dict) -> datetime:
    return datetime.fromisoformat(meta["captured"]).astimezone(UTC)


def capture_errors(outcome, slots: list[datetime]) -> list[float]:
    """Seconds from each stored frame's capture time to its slot (frames oldest first)."""
    times = [captured_at(meta) for _, _, meta in outcome.stored]
    assert len(times) == len(slots), times
    return [abs((t - slot).total_seconds()) for t, slot in zip(times, slots, strict=True)]


def health_of(meta: dict) -> dict[str, str]:
    fields = upload.parse_health(meta["health"])
    assert list(fields) == list(upload.HEALTH_FIELDS)  # every field, in the protocol's order
    return fields


def test_three_slots_a_minute_apart_across_a_reboot(scenario, hil_stack):
    """`at 12:00,12:01,12:02`, the board started at 11:59:30 service time: a hello at boot, a
    frame at each slot, and a reboot between the second and the third that captures nothing at
    boot. Health reaches each frame's metadata and GET /cameras."""
    start = datetime(2026, 12, 1, 11, 59, 30, tzinfo=UTC)
    slots = [datetime(2026, 12, 1, 12, m, tzinfo=UTC) for m in (0, 1, 2)]
    camera = Camera(FRAMES[:3])
    at = {}

    def drive(board, proxy):
        assert board.run(120, uploaded(proxy, 2)), "not two frames by 12:01:30"
        board.run((slots[1] - start).total_seconds() + 30 - board.now())  # to 12:01:30
        at["reset"] = board.now()
        board.core.reset()  # the reset button: the board boots again between two slots
        assert board.run(60, uploaded(proxy, 3)), "no frame at 12:02"

    def figures(outcome):
        return {"capture_error_s": round(max(capture_errors(outcome, slots)), 2)}

    with schedule(hil_stack, "at 12:00,12:01,12:02"):
        outcome = scenario(camera, drive, service_start=start, figures=figures)
    board, proxy = outcome.board, outcome.proxy
    assert [body for _, body, _ in outcome.stored] == FRAMES[:3]
    # The board's own trigger times, on the service's clock, and the service's capture times.
    triggers = [start + timedelta(seconds=t) for t in camera.captures]
    errors = capture_errors(outcome, slots)
    late = [(t - s).total_seconds() for t, s in zip(triggers, slots, strict=True)]
    print(f"capture-time error against the slots (s): {[round(e, 2) for e in errors]}; board "
          f"triggers after the slots (s): {[round(d, 2) for d in late]}")
    assert max(errors) <= CAPTURE_ERROR_GOAL_S
    assert all(abs(d) <= CAPTURE_ERROR_GOAL_S for d in late)
    # One hello per boot, each answered (signed, with Next), and nothing captured at boot.
    hellos = [r for r in proxy.requests if is_hello(r)]
    assert [r.status for r in hellos] == [200, 200]
    assert [r.status for r in frame_requests(proxy)] == [201, 201, 201]
    assert len(lines(board, r"boot, reset: ")) == 2
    assert camera.captures[2] - at["reset"] > 20  # not at the reboot: at 12:02
    assert not lines(board, r"no signed answer")
    # Health, as the service keeps it with each frame.
    health = [health_of(meta) for _, _, meta in outcome.stored]
    assert {h["fw"] for h in health} == {upload.FIRMWARE_VERSION}
    # Power on (MCUSR has no flag on the simulated chip, RAM was lost), then the reset button
    # (MCUSR EXTRF, no bootloader to clear it).
    assert [h["reset"] for h in health] == ["poweron", "poweron", "external"]
    assert int(health[2]["boots"]) == int(health[1]["boots"]) + 1
    assert int(health[1]["up"]) - int(health[0]["up"]) == pytest.approx(60, abs=2)
    assert int(health[2]["up"]) < 60  # counted from the reboot
    assert all(int(h["sram"]) >= 512 for h in health)
    assert [(h["tries"], h["queued"], h["lost"], h["link"], h["spi"]) for h in health] == \
        [("1", "0", "0", "100M", "8000")] * 3
    # The last report is the camera's in GET /cameras.
    request = urllib.request.Request(f"{hil_stack.api_url}/cameras",
                                     headers=cameras_for(hil_stack).viewer())
    with urllib.request.urlopen(request, timeout=30) as answer:
        cameras = {c["camera"]: c for c in json.load(answer)["cameras"]}
    assert cameras[CAMERA_ID]["health"] == health[2]


def test_a_schedule_change_applies_from_the_next_answer(scenario, hil_stack):
    """Every minute, then every 5 minutes from just after the 12:00 frame: the camera still takes
    the 12:01 frame (the answer it had said so), and that frame's answer moves the next capture to
    12:05 (not 12:02)."""
    camera = Camera(FRAMES[:2])

    def drive(board, proxy):
        assert board.run(30, uploaded(proxy, 1)), "no frame at 12:00"
        FileSecrets(hil_stack.secrets_file).set_schedule(CAMERA_ID, "every 5m")
        assert board.run(70, uploaded(proxy, 2)), "no frame at 12:01"

    with schedule(hil_stack, SCHEDULE):
        outcome = scenario(camera, drive)
    nexts = [int(n) for _, line in lines(outcome.board, r"^next capture in (\d+) s$")
             for n in re.findall(r"(\d+) s$", line)]
    # The hello's (to 12:00), the 12:00 frame's (to 12:01), the 12:01 frame's (to 12:05).
    assert len(nexts) == 3, nexts
    assert nexts[1] == pytest.approx(60, abs=2)
    assert nexts[2] == pytest.approx(240, abs=2)
    times = [captured_at(meta) for _, _, meta in outcome.stored]
    assert [t.strftime("%H:%M") for t in times] == ["12:00", "12:01"]


def test_without_the_service_the_camera_keeps_its_interval(scenario):
    """No connection gets through from boot: the hello goes unanswered, so the camera captures at
    once and then every interval (config.h), as it did before schedules; when the service
    answers again, its Next takes over."""
    camera = Camera(FRAMES[:4])
    faults = Faults(refuse_connections=10**9)

    def drive(board, proxy):
        assert board.run(10 + 2 * INTERVAL_S, lambda: len(camera.captures) >= 3)
        faults.refuse_connections = faults.connections  # the service is back
        assert board.run(INTERVAL_S, uploaded(proxy, 1)), "the frame in the FIFO never went up"

    outcome = scenario(camera, drive, faults=faults)
    board = outcome.board
    failed_hello = lines(board, r"^hello: connect failed$")
    assert len(failed_hello) == 1  # tried once, not retried
    fallback = lines(board, r"^no signed answer: capturing now$")
    assert len(fallback) == 1
    assert camera.captures[0] - fallback[0][0] < 1.5  # at once
    gaps = [b - a for a, b in zip(camera.captures, camera.captures[1:3], strict=False)]
    assert gaps == [pytest.approx(INTERVAL_S, abs=0.5)] * 2
    assert len(outcome.stored) == 1
    assert lines(board, r"HTTP 201 .*stored")
    assert lines(board, r"^next capture in \d+ s$")  # the service's answer sets the next capture
