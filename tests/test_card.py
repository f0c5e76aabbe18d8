"""`stopmotion card` on card images written as the firmware writes them (tests/cardimage.py), and
the queue format (chalicelib/protocol/card.py) against the firmware's FrameSum."""

import os
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from chalicelib.protocol import card as queue
from simboard.frames import sky_jpeg
from simboard.sdcard import SdCard
from stopmotion import cli, frames, render
from tests.cardimage import QueueWriter

ROOT = Path(__file__).resolve().parent.parent
JPEG_SCAN = ROOT / "firmware" / "lib" / "jpeg_scan"
T0 = 1_795_000_000  # 2026-11-18
HOURS6 = 6 * 3600


@cache  # sky_jpeg's noise differs on every call
def jpeg(index: int) -> bytes:
    return sky_jpeg(index, (64 + 16 * (index % 3), 48))  # 2 to 4 blocks each


def image_of(writer: QueueWriter, path: Path) -> Path:
    path.write_bytes(writer.image)
    return path


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = cli.main(["card", *map(str, argv)])
    except SystemExit as exit:  # argparse's refusals
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


def written(folder: Path) -> list[Path]:
    return frames.local_frames(folder)


def queued_card(tmp_path: Path, count: int = 3, blocks: int = 200) -> tuple[QueueWriter, Path]:
    writer = QueueWriter(blocks)
    for i in range(count):
        writer.push(jpeg(i), T0 + i * HOURS6)
    return writer, image_of(writer, tmp_path / "card.img")


def test_frame_sum_is_the_firmwares(tmp_path):
    """FrameSum compiled from firmware/lib/jpeg_scan/jpeg_scan.h, on bytes long enough to wrap."""
    if shutil.which("g++") is None:
        pytest.fail("g++ is missing: install it (make system-deps)")
    source = tmp_path / "sum.cpp"
    source.write_text('#include <cstdio>\n#include "jpeg_scan.h"\n'
                      "int main() { FrameSum s; int c; while ((c = getchar()) != EOF) "
                      "s.add((uint8_t)c); printf(\"%u %u\", s.a, s.b); }\n")
    binary = tmp_path / "sum"
    subprocess.run(["g++", f"-I{JPEG_SCAN}", str(source), "-o", str(binary)], check=True)
    data = random.Random(1).randbytes(70_000)
    for sample in (b"", b"\xff", data[:1000], data):
        out = subprocess.run([str(binary)], input=sample, capture_output=True, check=True).stdout
        assert tuple(map(int, out.split())) == queue.frame_sum(sample)


def test_records_have_the_documented_layout():
    state = queue.State(seq=5, head=3, tail=40, count=2, lost=1, anchor=T0)
    block = queue.pack_state(state)
    assert len(block) == queue.BLOCK and block[:4] == b"SMQS" and not block[32:].strip(b"\0")
    assert block[4:8] == (5).to_bytes(4, "little") and block[24:28] == T0.to_bytes(4, "little")
    a, b = queue.frame_sum(block[:28])
    assert block[28:32] == (a | b << 16).to_bytes(4, "little")
    assert queue.parse_state(block) == state and state.slot == 2
    header = queue.header_for(b"\xff\xd8xyz\xff\xd9", 7, T0)
    block = queue.pack_header(header)
    assert block[:4] == b"SMQF" and block[8:12] == (7).to_bytes(4, "little")
    assert block[16:48] == header.sha256 and not block[56:].strip(b"\0")
    assert queue.parse_header(block) == header
    assert queue.LABEL == b"stopmotion-queue v1\0\0\0\0\0"


def test_round_trip(tmp_path, capsys):
    writer, image = queued_card(tmp_path, count=3)
    writer.push(jpeg(3), T0 + 2 * HOURS6)  # taken in the same second as the frame before
    image_of(writer, image)
    code, out, err = run(capsys, image, tmp_path / "film")
    assert (code, err) == (0, "")
    assert "4 frames written" in out and "capture times known" in out
    paths = written(tmp_path / "film")
    assert [p.read_bytes() for p in paths] == [jpeg(i) for i in range(4)]  # render's order
    names = [frames.parse(p.as_posix()) for p in paths]
    assert [n.camera for n in names] == ["default"] * 4
    assert [n.time.timestamp() for n in names] == [T0, T0 + HOURS6, T0 + 2 * HOURS6,
                                                   T0 + 2 * HOURS6]
    good, bad = render.scan(paths)
    assert len(good) == 4 and not bad


def test_wrapped_ring(tmp_path, capsys):
    writer = QueueWriter(48)
    for i in range(12):
        writer.push(jpeg(i), T0 + i * HOURS6)
        if i < 9:
            writer.pop()  # uploaded, still on the card until overwritten
    assert writer.state.count == 3
    blocks = [writer.block_of(c) for c in (10, 11, 12)]
    assert blocks != sorted(blocks), "the queue should wrap around the card's end"
    image = image_of(writer, tmp_path / "card.img")
    code, out, err = run(capsys, image, tmp_path / "film", "--camera", "roof")
    assert (code, err) == (0, "")
    assert [p.read_bytes() for p in written(tmp_path / "film")] == [jpeg(i) for i in (9, 10, 11)]
    assert all(p.parts[-5] == "roof" for p in written(tmp_path / "film"))
    # --all: the uploaded frames still whole on the card too; the queued ones are already there.
    code, out, err = run(capsys, image, tmp_path / "film", "--camera", "roof", "--all")
    assert code == 0 and "reading all" in err
    assert "3 already there" in out
    assert "outside the queue (frames already uploaded): 6 written, 0 already there" in out
    # frames 1 to 3 were overwritten by 11 and 12 at the card's start
    survivors = [c for c, block in writer.placed.items()
                 if getattr(writer.header_at(block), "counter", None) == c]
    assert survivors == list(range(4, 13))
    assert [p.read_bytes() for p in written(tmp_path / "film")] == [jpeg(i) for i in range(3, 12)]


def test_torn_state_slot_the_older_wins(tmp_path, capsys):
    writer, _ = queued_card(tmp_path, count=3)
    writer.push(jpeg(3), T0 + 3 * HOURS6)  # state seq 4 in slot 1
    assert writer.state.slot == 1
    writer.image[512 + 10] ^= 0xFF  # the power went while it was written
    image = image_of(writer, tmp_path / "card.img")
    code, out, err = run(capsys, image, tmp_path / "film")
    assert (code, err) == (0, "")
    assert "the queue holds 3 frames" in out
    assert [p.read_bytes() for p in written(tmp_path / "film")] == [jpeg(i) for i in range(3)]


def test_no_valid_state_is_an_empty_queue(tmp_path, capsys):
    writer, _ = queued_card(tmp_path, count=2)
    writer.image[512 : 3 * 512] = bytes(1024)
    code, out, _ = run(capsys, image_of(writer, tmp_path / "card.img"), tmp_path / "film")
    assert code == 0 and "0 frames written" in out and "the queue holds 0 frames" in out


def test_torn_frame_data_is_reported_and_the_others_written(tmp_path, capsys):
    writer, _ = queued_card(tmp_path, count=3)
    writer.image[(writer.block_of(2) + 2) * 512 + 7] ^= 0x01
    code, out, err = run(capsys, image_of(writer, tmp_path / "card.img"), tmp_path / "film")
    assert code == 1
    assert f"frame 2 (block {writer.block_of(2)}" in err and "FrameSum" in err
    assert "2 frames written" in out and "1 damaged" in out
    assert [p.read_bytes() for p in written(tmp_path / "film")] == [jpeg(0), jpeg(2)]


def test_torn_frame_header_is_reported_and_the_rest_found(tmp_path, capsys):
    writer, _ = queued_card(tmp_path, count=4)
    writer.image[writer.block_of(2) * 512 + 9] ^= 0x01
    code, out, err = run(capsys, image_of(writer, tmp_path / "card.img"), tmp_path / "film")
    assert code == 1
    assert "the queue breaks after frame 1" in err and "header is damaged" in err
    assert "3 frames written" in out and "1 damaged" in out
    assert [p.read_bytes() for p in written(tmp_path / "film")] == [jpeg(0), jpeg(2), jpeg(3)]


def test_a_frame_that_is_no_jpeg_is_reported(tmp_path, capsys):
    writer = QueueWriter(100)
    writer.push(jpeg(0), T0)
    writer.push(b"\x00" * 700, T0 + 1)
    code, _, err = run(capsys, image_of(writer, tmp_path / "card.img"), tmp_path / "film")
    assert code == 1 and "frame 2" in err and "not a whole JPEG" in err


def test_a_card_that_is_not_ours(tmp_path, capsys):
    image = tmp_path / "photos.img"
    image.write_bytes(b"\xeb\x58\x90MSDOS5.0" + bytes(2 * 2**20 - 11))  # a FAT boot sector
    code, out, err = run(capsys, image, tmp_path / "film")
    assert code == 2 and "not the camera's card" in err and "--format" in err
    assert not (tmp_path / "film").exists()
    code, _, err = run(capsys, tmp_path / "nothing.img", tmp_path / "film")
    assert code == 2 and "no such device or image" in err


def test_unknown_times(tmp_path, capsys):
    writer = QueueWriter(100, anchor=0)  # the camera never had the service's time
    writer.push(jpeg(0), 120)  # seconds the camera counted since its first boot
    writer.push(jpeg(1), 21_720)
    code, out, err = run(capsys, image_of(writer, tmp_path / "card.img"), tmp_path / "film")
    assert (code, err) == (0, "")
    assert "capture time unknown for 2 frames" in out
    paths = written(tmp_path / "film")
    assert [p.relative_to(tmp_path / "film").as_posix() for p in paths] == [
        "default/time-unknown/0000000001.jpg", "default/time-unknown/0000000002.jpg"]
    assert [p.read_bytes() for p in paths] == [jpeg(0), jpeg(1)]


def test_the_anchor_dates_every_frame_on_the_card(tmp_path, capsys):
    writer = QueueWriter(100, anchor=T0 - 120)  # the service's time came after the first frame
    writer.push(jpeg(0), T0)
    writer.push(jpeg(1), T0 + HOURS6)
    assert [writer.header_at(b).captured for b in writer.placed.values()] == [120, 120 + HOURS6]
    code, out, err = run(capsys, image_of(writer, tmp_path / "card.img"), tmp_path / "film")
    assert (code, err) == (0, "") and "capture times known for every frame" in out
    names = [frames.parse(p.as_posix()) for p in written(tmp_path / "film")]
    assert [n.time for n in names] == [datetime.fromtimestamp(T0 + d, UTC) for d in (0, HOURS6)]


def test_a_second_run_writes_nothing_new(tmp_path, capsys):
    _, image = queued_card(tmp_path, count=3)
    assert run(capsys, image, tmp_path / "film")[0] == 0
    before = {p: p.stat().st_mtime_ns for p in written(tmp_path / "film")}
    code, out, err = run(capsys, image, tmp_path / "film")
    assert (code, err) == (0, "") and "0 frames written" in out and "3 already there" in out
    assert {p: p.stat().st_mtime_ns for p in written(tmp_path / "film")} == before
    first = min(before)
    first.write_bytes(b"something else")
    code, _, err = run(capsys, image, tmp_path / "film")
    assert code == 1 and "exists with other bytes" in err
    assert first.read_bytes() == b"something else"


def test_format_makes_an_image_the_simulator_takes(tmp_path, capsys):
    image = tmp_path / "sim.img"
    code, out, _ = run(capsys, "--format", image, "--size", "2M")
    assert code == 0 and image.stat().st_size == 2 * 2**20
    data = image.read_bytes()
    assert data[:512] == queue.LABEL.ljust(512, b"\0") and not data[512:].strip(b"\0")
    SdCard(image)  # the simulator's conventions: a whole number of 512 KB
    code, out, _ = run(capsys, image, tmp_path / "film")
    assert code == 0 and "the queue holds 0 frames" in out
    code, _, err = run(capsys, "--format", tmp_path / "odd.img", "--size", "100K")
    assert code == 2 and "512K" in err and not (tmp_path / "odd.img").exists()
    code, _, err = run(capsys, "--format", tmp_path / "new.img")
    assert code == 2 and "--size 64M" in err


@pytest.mark.parametrize("blank", [b"\0", b"\xff"])
def test_format_takes_a_blank_card(tmp_path, capsys, blank):
    image = tmp_path / "blank.img"
    image.write_bytes(blank * 2**20)
    assert run(capsys, "--format", image)[0] == 0
    assert queue.is_labelled(image.read_bytes()[:512])


def test_format_refusals(tmp_path, capsys):
    image = tmp_path / "photos.img"
    photos = b"\xeb\x58\x90MSDOS5.0" + bytes(2**20 - 11)
    image.write_bytes(photos)
    code, _, err = run(capsys, "--format", image)
    assert code == 2 and "holds data in block 0" in err and "--force" in err
    assert image.read_bytes() == photos
    assert run(capsys, "--format", image, "--force")[0] == 0
    assert queue.is_labelled(image.read_bytes()[:512])
    _, queued = queued_card(tmp_path, count=2)
    code, _, err = run(capsys, "--format", queued)
    assert code == 2 and "holds 2 frames the camera has not uploaded" in err
    code, _, err = run(capsys, "--format", queued, tmp_path / "film")
    assert code == 2 and "card alone" in err
    code, _, err = run(capsys, "--format", tmp_path / "photos.img", "--size", "1M")
    assert code == 2 and "exists" in err


def test_a_device_only_root_reads(capsys):
    """As a user (nobody) on a card device's usual mode: the message says it needs root."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.fail("this test runs as root with setpriv (util-linux), to become nobody")
    folder = Path(tempfile.mkdtemp(prefix="card-"))
    try:
        folder.chmod(0o755)
        device = folder / "sdb"
        device.write_bytes(queue.label_block() * 4)
        device.chmod(0o600)
        result = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
             sys.executable, "-c", "import sys; from stopmotion.cli import main; "
             "sys.exit(main(sys.argv[1:]))", "card", str(device), str(folder / "film")],
            capture_output=True, text=True, cwd=ROOT, env={**os.environ, "HOME": "/"})
        assert result.returncode == 2, result.stderr
        assert "permission denied" in result.stderr and "sudo" in result.stderr
    finally:
        shutil.rmtree(folder)
