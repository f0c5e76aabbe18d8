"""`stopmotion card`: get the frames off the camera's SD card, or format a card for the camera.

The camera keeps the frames it could not upload in a queue of raw blocks on the card (the format:
chalicelib/protocol/card.py). `stopmotion card CARD FOLDER` walks the queue and writes each intact
frame as FOLDER/<camera>/<YYYY>/<MM>/<DD>/<time>Z-<counter>.jpg, the layout `pull` writes and
`render` reads, named by capture time (UTC) and the frame's counter in hex. The camera dates its
frames by the service's time (the card's anchor); on a card whose camera never had it, frames are
named by their counter alone, in
FOLDER/<camera>/time-unknown/ (render puts those after the dated ones, in counter order).
Each file is written under a hidden name and renamed when whole; one already there with the same
bytes is skipped, so running it again is harmless. A damaged frame is named and the others still
written (exit status 1). `--all` also recovers the frames outside the queue (already uploaded, still
on the card) by reading every block: slow on a big card.
"""

import argparse
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.jpeg import EOI, SOI
from chalicelib.protocol import card as queue
from chalicelib.protocol import keys
from chalicelib.protocol.errors import BadRequest

CHUNK_BYTES = 4 * 2**20  # a device is read in large chunks, not block by block
UNKNOWN_TIME = "time-unknown"
SIZE_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}
IMAGE_UNIT = 512 * 2**10  # the simulator's SDHC card (simboard/sdcard.py) counts in 512 KB


class CardError(Exception):
    """The card cannot be read or formatted as asked; the message says what to do."""


def _open(path: Path, flags: int) -> int:
    folder = CardError(f"{path} is a folder: give the card's device (e.g. /dev/sdb, see lsblk) "
                       f"or an image file")
    try:
        fd = os.open(path, flags)
    except PermissionError:
        raise CardError(f"{path}: permission denied: a card's device needs root; "
                        f"run the same command with sudo") from None
    except FileNotFoundError:
        raise CardError(f"{path}: no such device or image file (lsblk lists the card's "
                        f"device)") from None
    except IsADirectoryError:
        raise folder from None
    if stat.S_ISDIR(os.fstat(fd).st_mode):
        os.close(fd)
        raise folder
    return fd


class Card:
    """A card's device or image, read by block."""

    def __init__(self, path: Path, writable: bool = False):
        self.path = path
        self.fd = _open(path, os.O_RDWR if writable else os.O_RDONLY)
        self.blocks = os.lseek(self.fd, 0, os.SEEK_END) // queue.BLOCK

    def __enter__(self) -> "Card":
        return self

    def __exit__(self, *exc) -> None:
        os.close(self.fd)

    def read(self, block: int, count: int = 1) -> bytes:
        """`count` blocks from `block` on (fewer at the card's end)."""
        want, offset, parts = count * queue.BLOCK, block * queue.BLOCK, []
        while want > 0:
            part = os.pread(self.fd, want, offset)
            if not part:
                break
            parts.append(part)
            want, offset = want - len(part), offset + len(part)
        return b"".join(parts)

    def write(self, block: int, data: bytes) -> None:
        os.pwrite(self.fd, data, block * queue.BLOCK)

    def header_at(self, block: int) -> queue.Header | None:
        if not queue.FIRST_FRAME_BLOCK <= block < self.blocks:
            return None
        return queue.parse_header(self.read(block))

    def headers(self) -> Iterator[tuple[int, queue.Header]]:
        """Every valid frame header on the card, in block order (reads the whole card)."""
        per_chunk = CHUNK_BYTES // queue.BLOCK
        for start in range(queue.FIRST_FRAME_BLOCK, self.blocks, per_chunk):
            chunk = self.read(start, per_chunk)
            offset = chunk.find(queue.HEADER_MAGIC)
            while offset >= 0:  # a header starts a block; JPEG data rarely holds the magic
                if offset % queue.BLOCK == 0:
                    header = queue.parse_header(chunk[offset : offset + queue.BLOCK])
                    if header is not None:
                        yield start + offset // queue.BLOCK, header
                offset = chunk.find(queue.HEADER_MAGIC, offset + 1)


def jpeg_or_damage(card: Card, block: int, header: queue.Header) -> bytes | str:
    """The frame whose header is at `block`, or why it cannot be had."""
    sane = 0 < header.length <= queue.MAX_FRAME_BYTES
    data = card.read(block + 1, queue.data_blocks(header.length)) if sane else b""
    why = queue.frame_damage(header, data)
    if why:
        return why
    jpeg = data[: header.length]
    if not (jpeg.startswith(SOI) and jpeg.endswith(EOI)):
        return "not a whole JPEG (it must start FF D8 and end FF D9)"
    return jpeg


def frame_path(folder: Path, camera: str, header: queue.Header, anchor: int) -> Path:
    """Where a frame goes: by capture time and counter, by counter alone if the time is unknown."""
    taken = header.taken(anchor)
    if taken is None:
        return folder / camera / UNKNOWN_TIME / f"{header.counter:010d}.jpg"
    key = keys.frame_key(camera, taken, suffix=f"{header.counter:08x}")
    return folder / keys.local_path(key)


def describe(block: int, header: queue.Header, anchor: int) -> str:
    taken = header.taken(anchor)
    if taken is not None:
        return f"frame {header.counter} (block {block}, taken {keys.iso(taken)})"
    return f"frame {header.counter} (block {block}, time unknown)"


@dataclass
class Tally:
    written: int = 0
    skipped: int = 0  # already in the folder with the same bytes
    damaged: list[str] = field(default_factory=list)
    unknown_time: int = 0


def save(path: Path, jpeg: bytes, tally: Tally) -> str | None:
    """Writes the frame under its name (whole or not at all); why not, if another file has it."""
    if path.exists():
        if path.read_bytes() == jpeg:
            tally.skipped += 1
            return None
        return f"{path} exists with other bytes (another camera's frame?): left alone; give " \
               f"another folder or --camera"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(jpeg)
    os.replace(partial, path)
    tally.written += 1
    return None


def recover(card: Card, folder: Path, camera: str, anchor: int, block: int,
            header: queue.Header, tally: Tally) -> None:
    found = jpeg_or_damage(card, block, header)
    path = frame_path(folder, camera, header, anchor)
    why = found if isinstance(found, str) else save(path, found, tally)
    if why:
        tally.damaged.append(f"{describe(block, header, anchor)}: {why}")
    elif not anchor:
        tally.unknown_time += 1


def queued_frames(card: Card, state: queue.State, scan: list) -> tuple[list, str | None]:
    """The queue's frames (block, header), oldest first, and what broke its walk if it broke.
    Past a damaged header the walk cannot go on; the frames after it are found by their headers:
    the queue holds the most recent frames (never one at the tail, where the next goes)."""
    frames = list(queue.walk(state, card.header_at))
    if len(frames) == state.count:
        return frames, None
    where = (f"after {describe(*frames[-1], state.anchor)}" if frames
             else f"at its head, block {state.head}")
    broken = f"the queue breaks {where}: the next frame's header is damaged"
    seen = {block for block, _ in frames}
    last = frames[-1][1].counter if frames else -1
    later = sorted((h.counter, b) for b, h in scan()
                   if h.counter > last and b not in seen and b != state.tail)
    wanted = state.count - len(frames) - 1  # the frame whose header broke the walk is lost
    found = [(b, card.header_at(b)) for _, b in later[-wanted:]] if wanted > 0 else []
    lost = state.count - len(frames) - len(found)
    return frames + found, (f"{broken}: {lost} queued frame(s) lost, {len(found)} after it found "
                            f"by their headers")


def get_frames(card: Card, folder: Path, camera: str, everything: bool) -> int:
    if not queue.is_labelled(card.read(0)):
        raise CardError(f"{card.path} is not the camera's card: block 0 has no "
                        f"{queue.LABEL.rstrip(bytes(1)).decode()!r} label. Check the device name "
                        f"(lsblk); a new card for the camera is made with --format")
    state = queue.current_state(card.read(1), card.read(2))
    headers: list | None = None

    def scan() -> list:
        nonlocal headers
        if headers is None:
            print(f"{card.path}: reading all {card.blocks * queue.BLOCK / 2**20:.1f} MB of the "
                  f"card for frame headers (slow on a big card)", file=sys.stderr)
            headers = list(card.headers())
        return headers

    frames, broken = queued_frames(card, state, scan)
    tally = Tally()
    for block, header in frames:
        recover(card, folder, camera, state.anchor, block, header, tally)
    if broken:
        print(f"damaged: {broken}", file=sys.stderr)
    for reason in tally.damaged:
        print(f"not written: {reason}", file=sys.stderr)
    damaged = len(tally.damaged) + state.count - len(frames)
    print(f"{card.path}: {tally.written} frames written to {folder}, {tally.skipped} already "
          f"there, {damaged} damaged; the queue holds {state.count} frames, the camera lost "
          f"{state.lost} in all")
    if tally.unknown_time:
        print(f"capture time unknown for {tally.unknown_time} frames (the camera never had the "
              f"service's time): named by counter in {folder / camera / UNKNOWN_TIME}")
    elif frames:
        print("capture times known for every frame")
    if everything:
        extra = Tally()
        queued = {block for block, _ in frames}
        for block, header in scan():
            if block not in queued:
                recover(card, folder, camera, state.anchor, block, header, extra)
        for reason in extra.damaged:
            print(f"outside the queue, damaged (overwritten by later frames?): {reason}",
                  file=sys.stderr)
        print(f"outside the queue (frames already uploaded): {extra.written} written, "
              f"{extra.skipped} already there, {len(extra.damaged)} damaged")
    return 1 if damaged else 0


def parse_size(text: str) -> int:
    number, unit = text[:-1], text[-1:].upper()
    if unit not in SIZE_UNITS or unit == "":
        number, unit = text, ""
    if not number.isdigit() or not int(number):
        raise argparse.ArgumentTypeError(f"{text!r}: give a size such as 64M, 2G or 1048576")
    size = int(number) * SIZE_UNITS[unit]
    if size % IMAGE_UNIT:
        raise argparse.ArgumentTypeError(f"{text!r}: give a multiple of 512K (the simulator's "
                                         f"SDHC card counts in 512 KB units), e.g. 64M")
    return size


def format_card(path: Path, size: int | None, force: bool) -> int:
    if size is not None:
        if path.exists():
            raise CardError(f"{path} exists: --size only makes a new image; leave it out to "
                            f"format this one")
        with open(path, "xb") as image:
            image.truncate(size)
    elif not path.exists():
        raise CardError(f"{path}: no such device or image; to make an image give its size, "
                        f"e.g. --size 64M")
    with Card(path, writable=True) as card:
        if card.blocks <= queue.FIRST_FRAME_BLOCK:
            raise CardError(f"{path}: {card.blocks} blocks is too small for a queue")
        first = card.read(0)
        if not force:
            refuse_to_format(card, first)
        card.write(0, queue.label_block())
        for slot in queue.STATE_SLOTS:  # zeroes: no state, the empty queue
            card.write(slot, bytes(queue.BLOCK))
        os.fsync(card.fd)
        print(f"{path}: formatted for the camera's queue ({card.blocks} blocks of "
              f"{queue.BLOCK} bytes)")
    return 0


def refuse_to_format(card: Card, first: bytes) -> None:
    """Raises unless block 0 is blank or the camera's with an empty queue."""
    if queue.is_labelled(first):
        state = queue.current_state(card.read(1), card.read(2))
        if state.count:
            raise CardError(f"{card.path} holds {state.count} frames the camera has not uploaded: "
                            f"get them off first (stopmotion card {card.path} FOLDER), then "
                            f"format with --force")
    elif first.strip(b"\0") and first.strip(b"\xff"):
        raise CardError(f"{card.path} holds data in block 0 (a file system, somebody's photos?): "
                        f"formatting would lose it. Check the device name (lsblk); if the card "
                        f"may be erased, add --force")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("card", help="get frames off the camera's SD card; format one",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("card", type=Path,
                        help="the card's device (e.g. /dev/sdb; needs root) or an image file")
    parser.add_argument("folder", type=Path, nargs="?",
                        help="where the frames go (what `render` reads)")
    parser.add_argument("--camera", default=keys.DEFAULT_CAMERA,
                        help=f"camera id in the frames' path (default: {keys.DEFAULT_CAMERA!r})")
    parser.add_argument("--all", action="store_true",
                        help="also frames outside the queue (already uploaded): reads the whole "
                             "card, slow on a big one")
    parser.add_argument("--format", action="store_true",
                        help="write the camera's label and an empty queue on the card")
    parser.add_argument("--size", type=parse_size,
                        help="with --format: make a new image file of this size (e.g. 64M)")
    parser.add_argument("--force", action="store_true",
                        help="with --format: even if the card holds other data or queued frames")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    if args.format:
        if args.folder or args.all:
            return fail("--format takes the card alone (no folder, no --all)")
        work = lambda: format_card(args.card, args.size, args.force)  # noqa: E731
    else:
        if args.folder is None:
            return fail("give the folder the frames go to: stopmotion card CARD FOLDER")
        if args.size is not None or args.force:
            return fail("--size and --force go with --format")
        try:
            keys.camera_id(args.camera, "--camera")
        except BadRequest as error:
            return fail(str(error))

        def work() -> int:
            with Card(args.card) as card:
                return get_frames(card, args.folder, args.camera, args.all)
    try:
        return work()
    except CardError as error:
        return fail(str(error))


def fail(message: str) -> int:
    print(f"card: {message}", file=sys.stderr)
    return 2
