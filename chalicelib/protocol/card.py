"""The camera's queue on the shield's microSD card (format v1): raw 512-byte blocks, no file system.

The camera keeps the frames it could not upload here; `stopmotion card` gets them off a card. All
integers are little-endian; block n is bytes [512n, 512n + 512) of the card.
- Block 0, the label: LABEL, the rest zero. The camera uses only a card whose block 0 starts with
  it, so it never writes over somebody's photos.
- Blocks 1 and 2, the state slots: the record of sequence number seq lives in block
  1 + seq % 2, so a write torn by a power cut leaves the other, older slot valid. The state is the
  valid slot with the higher seq; none valid is the empty queue.
- From FIRST_FRAME_BLOCK on, frames: a header block, then the JPEG in the following
  data_blocks(length) blocks (the last one padded with anything). A frame goes at the state's tail
  if it fits before the card's end, else at FIRST_FRAME_BLOCK; counters rise in the order frames
  are written, which is how `following` finds the next frame.
"""

import hashlib
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate

BLOCK = 512
LABEL = b"stopmotion-queue v1".ljust(24, b"\0")
STATE_SLOTS = (1, 2)
FIRST_FRAME_BLOCK = 3
MAX_FRAME_BYTES = 8 * 1024 * 1024  # the ArduCAM's FIFO holds no larger frame

# magic, seq, head, tail, count, lost, anchor, check (FrameSum of the bytes before it)
STATE = struct.Struct("<4s7I")
STATE_MAGIC = b"SMQS"
# magic, counter, length, captured, sha256, sum_a, sum_b, check (FrameSum of the bytes before it)
HEADER = struct.Struct("<4s3I32s2HI")
HEADER_MAGIC = b"SMQF"


def frame_sum(data: bytes) -> tuple[int, int]:
    """The firmware's FrameSum (firmware/lib/jpeg_scan): Fletcher's two running sums from 0,
    a += byte, b += a, modulo 2^16; (a, b). The modulo commutes with the sums: taken once."""
    return sum(data) & 0xFFFF, sum(accumulate(data)) & 0xFFFF


def record_check(record: bytes) -> int:
    """The check word that closes a state or header record: FrameSum as a | b << 16."""
    a, b = frame_sum(record)
    return a | b << 16


def _block(record: bytes) -> bytes:
    return record.ljust(BLOCK, b"\0")


def _sealed(layout: struct.Struct, magic: bytes, block: bytes) -> tuple | None:
    """The fields of a record at the start of block, or None unless its magic and check hold."""
    if len(block) < layout.size:
        return None
    fields = layout.unpack_from(block)
    if fields[0] != magic or fields[-1] != record_check(block[: layout.size - 4]):
        return None
    return fields[1:-1]


def _seal(layout: struct.Struct, *fields) -> bytes:
    record = layout.pack(*fields, 0)[:-4]
    return _block(record + struct.pack("<I", record_check(record)))


def is_labelled(block0: bytes) -> bool:
    """Whether block 0 says the card is the camera's queue."""
    return block0.startswith(LABEL)


def label_block() -> bytes:
    return _block(LABEL)


@dataclass(frozen=True)
class State:
    seq: int = 0
    head: int = FIRST_FRAME_BLOCK  # block of the oldest queued frame's header
    tail: int = FIRST_FRAME_BLOCK  # where the next frame goes (or FIRST_FRAME_BLOCK, if no room)
    count: int = 0  # frames queued
    lost: int = 0  # frames the camera lost in all
    # Unix time minus the camera's clock, from the service's last signed answer (its Time): the
    # camera has no clock of its own, only seconds it counts on (across resets, in EEPROM). 0:
    # the camera never had the service's time, and its frames cannot be dated.
    anchor: int = 0

    @property
    def slot(self) -> int:
        """The block this state is written to."""
        return STATE_SLOTS[self.seq % 2]


EMPTY = State()  # what a card with no valid state slot holds


def pack_state(state: State) -> bytes:
    return _seal(STATE, STATE_MAGIC, state.seq, state.head, state.tail, state.count, state.lost,
                 state.anchor)


def parse_state(block: bytes) -> State | None:
    fields = _sealed(STATE, STATE_MAGIC, block)
    return State(*fields) if fields else None


def current_state(slot1: bytes, slot2: bytes) -> State:
    """The valid slot with the higher seq; EMPTY when neither is valid."""
    valid = [s for s in (parse_state(slot1), parse_state(slot2)) if s is not None]
    return max(valid, key=lambda s: s.seq, default=EMPTY)


@dataclass(frozen=True)
class Header:
    counter: int  # the frame's signed counter
    length: int  # JPEG bytes
    captured: int  # the camera's clock at capture (seconds; State.anchor dates it)
    sha256: bytes
    sum: tuple[int, int]  # FrameSum of the JPEG

    def taken(self, anchor: int) -> datetime | None:
        """When the frame was taken, by the card's anchor; None if the camera had no time."""
        return datetime.fromtimestamp(self.captured + anchor, UTC) if anchor else None


def header_for(jpeg: bytes, counter: int, captured: int) -> Header:
    return Header(counter, len(jpeg), captured, hashlib.sha256(jpeg).digest(), frame_sum(jpeg))


def pack_header(header: Header) -> bytes:
    return _seal(HEADER, HEADER_MAGIC, header.counter, header.length, header.captured,
                 header.sha256, *header.sum)


def parse_header(block: bytes) -> Header | None:
    fields = _sealed(HEADER, HEADER_MAGIC, block)
    if fields is None:
        return None
    counter, length, captured, sha256, sum_a, sum_b = fields
    return Header(counter, length, captured, sha256, (sum_a, sum_b))


def data_blocks(length: int) -> int:
    """Blocks after the header that hold a JPEG of `length` bytes."""
    return -(-length // BLOCK)


def frame_damage(header: Header, data: bytes) -> str | None:
    """Why the JPEG bytes read after a valid header are not the frame it describes (None: they
    are). `data` may run on past the frame's length (padding, or the card's end)."""
    if not 0 < header.length <= MAX_FRAME_BYTES:
        return f"length {header.length} is no frame's (1 byte to {MAX_FRAME_BYTES // 2**20} MB)"
    if len(data) < header.length:
        return f"its {header.length} bytes run past the card's end"
    data = data[: header.length]
    if frame_sum(data) != header.sum:
        return "the bytes do not match the header's FrameSum (torn or overwritten)"
    if hashlib.sha256(data).digest() != header.sha256:
        return "the bytes do not match the header's SHA-256"
    return None


HeaderAt = Callable[[int], Header | None]  # the valid header at a block, or None


def following(block: int, header: Header, header_at: HeaderAt) -> int | None:
    """Where the frame written after the one at `block` is: right after it if a valid header with
    a greater counter is there, else at FIRST_FRAME_BLOCK (the writer wrapped) if one is there;
    None when neither holds one."""
    for candidate in (block + 1 + data_blocks(header.length), FIRST_FRAME_BLOCK):
        later = header_at(candidate)
        if later is not None and later.counter > header.counter:
            return candidate
    return None


def walk(state: State, header_at: HeaderAt) -> Iterator[tuple[int, Header]]:
    """The queued frames, oldest first: (header block, header), `state.count` of them from
    state.head by `following`. It stops early where a header is damaged; the caller compares."""
    block: int | None = state.head
    for index in range(state.count):
        header = header_at(block)
        if header is None:
            return
        yield block, header
        if index + 1 < state.count:
            block = following(block, header, header_at)
            if block is None:
                return
