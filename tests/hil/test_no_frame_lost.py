"""Not one frame lost: the real firmware on the simulated board through outages, lost answers,
resets and power cuts, with and without the SD card queue (firmware/lib/card_queue), against the
real local stack. The card the firmware wrote is read back with `stopmotion card`.

The first frame's signed answer sets the next capture at the next slot of the camera's schedule (a
minute: tests/hil/conftest.py); through an outage no answer comes, so from that capture on the
camera captures at its configured interval (INTERVAL_S).
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from chalicelib.protocol import card
from simboard.arducam import Camera
from simboard.core import MCUSR
from simboard.frames import photo_jpeg
from simboard.network import Faults
from simboard.sdcard import SdCard
from tests.hil.conftest import SETTINGS, SLOT_S, captured, frame_requests, uploaded

pytestmark = pytest.mark.hil

INTERVAL_S = SETTINGS.interval_s
BOOT_S = 30
OUTAGE_CAPTURES = 8
FRAMES = [photo_jpeg(320, 240, seed=100 + i) for i in range(OUTAGE_CAPTURES + 3)]


def formatted_card(blocks: int = 2048, sdhc: bool = True) -> SdCard:
    """A card as `stopmotion card --format` leaves it: the label, no state."""
    image = bytearray(blocks * card.BLOCK)
    image[: card.BLOCK] = card.label_block()
    return SdCard(image, sdhc=sdhc)


def run_outage(board, camera, captures: int) -> None:
    """Runs the board through an outage until it has taken `captures` frames more: the first at
    the slot the last answer named, the others an interval apart."""
    count = len(camera.captures) + captures
    board.run(SLOT_S + captures * INTERVAL_S, captured(camera, count))
    board.run(INTERVAL_S / 2)  # and the last one's attempts, kept or lost
    assert len(camera.captures) == count


def outage(faults: Faults) -> None:
    faults.refuse_connections = 10**9  # every connection from now on is refused


def link_back(faults: Faults) -> None:
    faults.refuse_connections = faults.connections  # the next connection goes through


def times(stored) -> list[datetime]:
    return [datetime.fromisoformat(meta["captured"]) for _, _, meta in stored]


def lines(board, pattern: str) -> list[str]:
    return [line for _, line in board.log_lines if re.search(pattern, line)]


def read_card(image: bytes, tmp_path) -> tuple[int, str, list]:
    """`stopmotion card` on a copy of the image: (exit code, output, frames written)."""
    path = tmp_path / "card.img"
    path.write_bytes(image)
    out = tmp_path / "film"
    command = Path(sys.executable).parent / "stopmotion"  # the installed command, as a user runs it
    run = subprocess.run([command, "card", str(path), str(out)], capture_output=True, text=True,
                         timeout=60)
    written = sorted(p for p in out.rglob("*.jpg"))
    return run.returncode, run.stdout + run.stderr, written


def test_an_outage_of_eight_captures_with_a_card_loses_nothing(scenario, tmp_path):
    camera = Camera(FRAMES)
    faults = Faults()
    sd = formatted_card()
    during = {}

    def drive(board, proxy):
        assert board.run(BOOT_S, uploaded(proxy, 1)), "the first frame never went up"
        outage(faults)
        run_outage(board, camera, OUTAGE_CAPTURES)
        during["image"] = bytes(sd.data)
        link_back(faults)
        assert board.run(120, uploaded(proxy, 1 + OUTAGE_CAPTURES)), "the backlog never drained"

    outcome = scenario(camera, drive, faults=faults, sd=sd)
    board = outcome.board
    sent = FRAMES[: 1 + OUTAGE_CAPTURES]
    # The simulated board runs ahead of the wall clock while it waits for nothing (the outage), and
    # keeps to it while it waits for the service (the uploads); the service dates a frame by its
    # wall clock minus the frame's age on the board's. So the frames of the backlog, uploaded one
    # after the other, are dated against each other, not against the first frame of all.
    bodies = [body for _, body, _ in outcome.stored]
    assert sorted(bodies) == sorted(sent)  # every frame once
    backlog = [entry for entry in outcome.stored if entry[1] != sent[0]]
    assert [body for _, body, _ in backlog] == sent[1:]  # keys sort by capture time: in order
    assert len(lines(board, r"^card: frame counter \d+ kept in")) == OUTAGE_CAPTURES - 1
    assert not lines(board, r"frame lost")
    # Each dated by its capture: the service's capture times are as far apart as the camera's.
    captured = times(backlog)
    for i in range(1, len(backlog)):
        taken = camera.captures[1 + i] - camera.captures[1]
        assert (captured[i] - captured[0]).total_seconds() == pytest.approx(taken, abs=2), i
    # The card in the middle of the outage: the frames kept so far, dated, in order.
    code, out, written = read_card(during["image"], tmp_path)
    assert code == 0, out
    assert [p.read_bytes() for p in written] == sent[1:OUTAGE_CAPTURES]
    assert "capture times known for every frame" in out
    # Uploaded oldest first, each with the counter it was signed with at capture.
    counters = [int(re.search(r"Counter=(\d+)", r.header("Authorization"))[1])
                for r in outcome.proxy.requests if r.status == 201]
    assert counters == sorted(counters) and len(set(counters)) == len(sent)


def test_the_same_outage_without_a_card_logs_each_frame_lost(scenario):
    camera = Camera(FRAMES)
    faults = Faults()

    def drive(board, proxy):
        assert board.run(BOOT_S, uploaded(proxy, 1))
        outage(faults)
        run_outage(board, camera, OUTAGE_CAPTURES)
        link_back(faults)
        assert board.run(60, uploaded(proxy, 2)), "the frame in the FIFO never went up"

    outcome = scenario(camera, drive, faults=faults)
    board = outcome.board
    assert [body for _, body, _ in outcome.stored] == [FRAMES[0], FRAMES[OUTAGE_CAPTURES]]
    lost = lines(board, r"not kept, frame lost \((\d+) since boot\)")
    assert len(lost) == OUTAGE_CAPTURES - 1
    assert lost[-1].endswith(f"({OUTAGE_CAPTURES - 1} since boot)")
    assert lines(board, r"^card: no card$")


def test_an_answer_lost_after_the_frame_was_stored_gives_one_frame(scenario):
    camera = Camera(FRAMES[0])
    answers = []

    def lose_the_first(response: bytes) -> bytes:  # the first answer to a stored frame
        if b"Status=201" in response:
            answers.append(response)
        return b"" if len(answers) == 1 and b"Status=201" in response else response

    def drive(board, proxy):
        assert board.run(BOOT_S + 30,
                         lambda: any(r.status == 200 for r in frame_requests(proxy))), \
            "never retried"
        board.run(5)

    outcome = scenario(camera, drive, rewrite=lose_the_first)
    # The hello, the frame stored, then its retry.
    assert [r.status for r in outcome.proxy.requests] == [200, 201, 200]
    assert [body for _, body, _ in outcome.stored] == [FRAMES[0]]
    assert lines(outcome.board, r"upload attempt 1: no response")
    assert lines(outcome.board, r"upload attempt 2: HTTP 200 .*stored")


def test_a_reset_in_the_middle_of_retrying_still_sends_the_frame(scenario):
    camera = Camera(FRAMES[:2])
    faults = Faults()

    def drive(board, proxy):
        outage(faults)
        assert board.run(BOOT_S, lambda: len(lines(board, r"upload attempt 3")) > 0)
        # The reset button (or the watchdog) on a UNO with its stock bootloader, which clears
        # MCUSR: the camera keeps its FIFO, and the firmware tells a restart from a power cut by
        # the RAM it kept.
        board.core.reset(bootloader=True)
        link_back(faults)
        assert board.run(BOOT_S, uploaded(proxy, 1)), "the frame in the FIFO never went up"

    outcome = scenario(camera, drive, faults=faults)
    board = outcome.board
    assert [body for _, body, _ in outcome.stored] == [FRAMES[0]]
    assert len(camera.captures) == 1  # sent from the FIFO, not captured again
    assert lines(board, r"reset: restart")
    assert lines(board, r"still in the FIFO after the reset")
    assert "reset=restart" in outcome.stored[0][2]["health"].split()


def test_a_power_cut_during_a_card_write_loses_only_that_frame(scenario):
    # The first outage frame is kept whole (its data, header and the state); the power goes in the
    # middle of a block of the second.
    frame_blocks = card.data_blocks(len(FRAMES[1]))
    sd = formatted_card()
    sd.cut_power_after = (frame_blocks + 2 + 5) * card.BLOCK + 100
    camera = Camera(FRAMES[:4])
    faults = Faults()

    def drive(board, proxy):
        assert board.run(BOOT_S, uploaded(proxy, 1))
        outage(faults)
        assert board.run(SLOT_S + 4 * INTERVAL_S, lambda: sd.power_cycles > 0), "no power cut"

    scenario(camera, drive, faults=faults, sd=sd, settle=0)  # the whole board stops there
    assert len(camera.captures) == 3
    # Power back: the whole board starts again; the camera's FIFO is empty after a power cut.
    sd.cut_power_after = None
    after = Camera(FRAMES[4:6])

    def drive_again(board, proxy):  # the kept frame, then a new one at the slot its answer names
        board.core.poke(MCUSR, b"\0")  # as the UNO's bootloader leaves it (simboard.core.reset)
        assert board.run(BOOT_S + SLOT_S, uploaded(proxy, 2)), "the kept frame and a new one"

    outcome = scenario(after, drive_again, sd=sd)
    board = outcome.board
    assert [body for _, body, _ in outcome.stored] == [FRAMES[1], FRAMES[4]]
    assert lines(board, r"card: .* 1 frames kept")
    # The frame being written: not on the card (its state never went out), nor in the FIFO.
    assert lines(board, r"not in the FIFO after the reset: lost")
    # MCUSR cleared, RAM lost: the firmware knows the power went.
    assert lines(board, r"reset: poweron")


def test_a_full_card_drops_its_oldest_frames_and_counts_them(scenario, tmp_path):
    # A 32 KB standard-capacity card: room for two of these frames beside the label and state.
    sd = formatted_card(blocks=64, sdhc=False)
    room = (64 - card.FIRST_FRAME_BLOCK) // (1 + card.data_blocks(len(FRAMES[1])))
    assert room == 2
    camera = Camera(FRAMES[:7])
    faults = Faults()

    def drive(board, proxy):
        assert board.run(BOOT_S, uploaded(proxy, 1))
        outage(faults)
        run_outage(board, camera, 5)  # frames 2..6: 2 to 5 kept in turn, 4 and 5 push out 2 and 3
        link_back(faults)
        assert board.run(60, uploaded(proxy, 4))

    outcome = scenario(camera, drive, faults=faults, sd=sd)
    bodies = [body for _, body, _ in outcome.stored]  # frame 1 apart: see the outage above
    assert sorted(bodies) == sorted([FRAMES[0], FRAMES[3], FRAMES[4], FRAMES[5]])
    assert [body for body in bodies if body != FRAMES[0]] == FRAMES[3:6]
    assert lines(outcome.board, r"^card: frame counter \d+ kept in \d+ ms, 2 kept, 2 lost$")
    state = card.current_state(sd.data[card.BLOCK : 2 * card.BLOCK],
                               sd.data[2 * card.BLOCK : 3 * card.BLOCK])
    assert (state.count, state.lost) == (0, 2)
    assert lines(outcome.board, r"card: .* 0 frames kept, 0 lost")
