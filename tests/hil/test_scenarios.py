"""The real firmware ELF on the simulated board, against the real local stack (chalice local + S3).

Each scenario drives the board until what it waits for happens (in simulated time) and asserts
what reached S3. Intervals and timeouts come from tests/hil/config.h; the camera asks the service
when to capture with its hello at boot (the first request of each boot) and captures at each slot
of its schedule (tests/hil/conftest.py: every minute, the first slot FIRST_SLOT_S after the start).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from simboard.arducam import Camera
from simboard.frames import photo_jpeg
from simboard.network import Faults
from simboard.services import Dhcp, Dns
from tests.conftest import camera_post
from tests.hil.conftest import (
    CAMERA_ID,
    SERVICE_START,
    SLOT_S,
    eeprom_counter,
    frame_requests,
    is_hello,
    uploaded,
)

pytestmark = pytest.mark.hil

JPEG = photo_jpeg(320, 240, seed=5)
OTHER_JPEG = photo_jpeg(320, 240, seed=9)
BOOT_S = 30  # generous bound for boot + DHCP + DNS + first capture + upload


def boots(board) -> int:
    return sum(1 for _, line in board.log_lines if re.search(r"stopmotion-cam", line))


def assert_one_exact_frame(outcome, jpeg=JPEG):
    assert len(outcome.stored) == 1, [key for key, _, _ in outcome.stored]
    key, body, meta = outcome.stored[0]
    assert body == jpeg
    assert meta["repairs"] == ""  # stored as sent: nothing repaired
    assert key.startswith(f"frames/{CAMERA_ID}/")


MODULES = {  # module behaviours the firmware must cope with (simboard/arducam.py), the camera
    # bus settings it must log for each (SPI MHz, FIFO rewind bit), and what must have caught it
    "no-dummy-byte": ({}, (8, 0x10), None),
    "dummy-byte": ({"dummy_byte": True}, (8, 0x10), None),  # first burst after a rewind
    "rewind-bit-0x20": ({"rewind_mask": 0x20}, (8, 0x20), None),  # two application notes' bit
    # above 4 MHz: FIFO bytes with bit errors, or nothing but noise
    "bit-errors-at-8mhz": ({"fast_bus_fault": "fifo-bit-errors"}, (4, 0x10), "body withheld"),
    "no-echo-at-8mhz": ({"fast_bus_fault": "garbage"}, (4, 0x10), None),
}


@pytest.mark.parametrize("module,bus,caught", MODULES.values(), ids=MODULES.keys())
def test_happy_path(scenario, module, bus, caught):
    camera = Camera(JPEG, padding=3000, **module)

    def drive(board, proxy):
        assert board.run(BOOT_S + 30, uploaded(proxy)), "no frame uploaded"

    outcome = scenario(camera, drive)
    assert_one_exact_frame(outcome)
    settled = re.findall(r"camera: SPI (\d) MHz, FIFO rewind bit 0x(\d+)", outcome.serial())
    assert (int(settled[-1][0]), int(settled[-1][1], 16)) == bus
    assert caught is None or caught in outcome.serial()
    hello, request = outcome.proxy.requests[0], frame_requests(outcome.proxy)[0]
    assert is_hello(hello) and hello.status == 200  # asked when to capture, before the frame
    assert request.head.startswith(b"POST /frames HTTP/1.1\r\n")
    assert request.header("Content-Length") == str(len(JPEG))
    assert request.header("Content-Type") == "image/jpeg"
    assert request.header("X-Camera-Id") is None  # the signed credential names the camera
    assert request.header("Connection") == "close"


def test_two_scheduled_captures(scenario):
    """With the service answering, the captures follow its schedule (a minute apart), not the
    configured interval (20 s): the fallback for when no signed answer comes."""
    frames = [JPEG, photo_jpeg(320, 240, seed=6)]
    camera = Camera(frames)

    def drive(board, proxy):
        assert board.run(BOOT_S + SLOT_S, uploaded(proxy, 2)), "fewer than two uploads"

    outcome = scenario(camera, drive)
    assert [body for _, body, _ in outcome.stored] == frames  # keys sort by time: in order
    first, second = camera.captures[:2]
    assert second - first == pytest.approx(SLOT_S, abs=1.5)


def test_server_busy_twice_then_stored(scenario):
    camera = Camera(JPEG)

    def drive(board, proxy):
        assert board.run(BOOT_S + 60, uploaded(proxy)), "never got past the 503s"
        board.run(5)  # nothing more may arrive: no duplicate

    outcome = scenario(camera, drive, canned={1: 503, 2: 503})  # 0: the hello
    assert [r.status for r in outcome.proxy.requests] == [200, 503, 503, 201]
    assert len(camera.captures) == 1  # the same frame, kept in the FIFO, was re-sent
    assert_one_exact_frame(outcome)


def test_reset_mid_body(scenario):
    camera = Camera(JPEG)

    def drive(board, proxy):
        assert board.run(BOOT_S + 60, uploaded(proxy)), "not retried after the reset"

    outcome = scenario(camera, drive, faults=Faults(reset_connection=2, reset_after=6000))
    hello, first, *rest = outcome.proxy.requests
    assert is_hello(hello)
    assert not first.complete and 0 < first.body_bytes < len(JPEG)
    assert [r.status for r in rest] == [201]
    assert_one_exact_frame(outcome)


def test_dhcp_silent_then_dns_failing_once(scenario):
    camera = Camera(JPEG)
    dhcp, dns = Dhcp(silent_until=12.0), Dns(failures=["servfail"])

    def drive(board, proxy):
        assert board.run(BOOT_S + 40, uploaded(proxy)), "did not recover"

    # The hello goes out once DHCP answers: the service's clock puts the first slot after that.
    outcome = scenario(camera, drive, dhcp=dhcp, dns=dns,
                       service_start=SERVICE_START - timedelta(seconds=12))
    discovers = [t for t, kind, _ in dhcp.log if kind == "DISCOVER"]
    assert len([t for t in discovers if t < 12.0]) >= 2, "DISCOVER was not retried"
    assert [outcome for _, _, outcome in dns.log][:2] == ["servfail", "answer"]
    assert_one_exact_frame(outcome)


@pytest.mark.parametrize("fault", ["absent", "never"], ids=["camera-absent", "capture-never-done"])
def test_camera_fault_then_good_capture(scenario, fault):
    camera = Camera(JPEG, present=fault != "absent", capture=fault if fault == "never" else "ok")

    def drive(board, proxy):
        board.wait_for_log(r"(?i)camera|capture", BOOT_S)
        assert board.run(60, lambda: boots(board) >= 2), "the watchdog never reset the board"
        camera.present, camera.capture = True, "ok"  # the module comes back
        assert board.run(BOOT_S + SLOT_S, uploaded(proxy)), "no upload after recovery"

    outcome = scenario(camera, drive)
    serial = outcome.serial()
    assert re.search(r"(?i)(camera|capture).*(fail|timeout|not|absent|no )", serial)
    assert re.search(r"capture failed: [^;]+; retry in \d+ ms", serial), (
        "the failed capture was not retried before the reset"
    )
    assert_one_exact_frame(outcome)


def test_lease_renewed_during_long_interval(scenario):
    camera = Camera(JPEG)
    dhcp = Dhcp(lease=14)  # renew at 7 s, expires at 14 s: inside one minute between captures

    def drive(board, proxy):
        assert board.run(BOOT_S + SLOT_S, uploaded(proxy, 2)), "second upload failed"

    outcome = scenario(camera, drive, dhcp=dhcp)
    requests = [t for t, kind, _ in dhcp.log if kind == "REQUEST"]
    assert len(requests) >= 3, dhcp.log  # the first REQUEST and at least two renewals
    assert all(b - a < dhcp.lease for a, b in zip(requests, requests[1:], strict=False)), (
        "lease ran out"
    )
    assert len(outcome.stored) == 2  # the second upload needed a live lease (network.routable)


def test_a_middlebox_that_answers_itself_is_not_believed(scenario):
    """A captive portal's 200, a proxy's 204, a WAF's 403: none is signed by the service, so the
    camera retries the same frame until the service itself answers, and it is stored once."""
    camera = Camera(JPEG)

    def drive(board, proxy):
        assert board.run(BOOT_S + 60, uploaded(proxy)), "never reached the service"
        board.run(5)

    outcome = scenario(camera, drive, canned={1: 200, 2: 204, 3: 403})  # 0: the hello
    assert [r.status for r in outcome.proxy.requests] == [200, 200, 204, 403, 201]
    assert outcome.serial().count("answer not from the service") == 3
    assert len(camera.captures) == 1
    assert_one_exact_frame(outcome)


def test_a_signed_final_refusal_gives_the_frame_up(scenario, hil_stack, eeprom):
    """A board whose EEPROM was erased starts its counter again at 1 (its hello) and 2 (its
    frame): the service's signed 403 (a counter it has seen) is final, so the frame is given up
    at once instead of retried."""
    if eeprom_counter(eeprom) == 0:  # run alone: let the service see counter 2 first
        status, _, _ = camera_post(hil_stack.api_url, OTHER_JPEG, camera=CAMERA_ID, counter=2)
        assert status == 201
        eeprom[0:8] = (2).to_bytes(4, "little") + (0xFFFFFFFD).to_bytes(4, "little")
    camera = Camera(photo_jpeg(320, 240, seed=13))  # not a retry of what counter 1 stored

    def drive(board, proxy):
        board.wait_for_log(r"upload attempt 1: HTTP 403", BOOT_S)
        board.run(5)

    outcome = scenario(camera, drive, eeprom=bytearray(b"\xff" * 1024))
    assert "upload attempt 1: HTTP 403 in" in outcome.serial()
    assert "rejected: not retried" in outcome.serial()
    assert [r.status for r in outcome.proxy.requests] == [200, 403]  # the hello, the frame
    assert outcome.stored == []


def answer_header_first(response: bytes) -> bytes:
    """The service's answer with its Stopmotion-Answer header moved to the first header line, where
    a proxy in front of it may well put it."""
    head, _, body = response.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    answer = [line for line in lines if line.lower().startswith(b"stopmotion-answer:")]
    others = [line for line in lines if line not in answer]
    return b"\r\n".join([status, *answer, *others]) + b"\r\n\r\n" + body


def test_the_signed_answer_is_found_as_the_first_header(scenario):
    camera = Camera(JPEG)

    def drive(board, proxy):
        assert board.run(BOOT_S, uploaded(proxy)), "no frame uploaded"

    outcome = scenario(camera, drive, rewrite=answer_header_first)
    assert "answer not from the service" not in outcome.serial()
    assert_one_exact_frame(outcome)
