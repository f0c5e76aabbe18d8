"""Finds the JPEG in a camera's upload and undoes what the camera's FIFO does to it.

The parser walks the marker segments from start of image (SOI) to end of image (EOI) and skips
each segment's payload by its declared length, so an EOI inside an EXIF thumbnail or any other
payload cannot end the image early. Entropy-coded scan data is searched for the next marker.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from chalicelib.protocol.errors import NotAJpeg

SOI = b"\xff\xd8"
EOI = b"\xff\xd9"
SOS = 0xDA
# Start-of-frame markers carry the dimensions: C0-CF except DHT (C4), JPG (C8) and DAC (CC).
SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field: TEM and the restart markers RST0-7.
STANDALONE_MARKERS = frozenset([0x01, *range(0xD0, 0xD8)])
# Inside scan data FF is followed by 00 (stuffing), RST0-7 or another FF (fill); anything else
# starts the next marker.
NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")

# The repairs, by the names the service reports.
MISSING_LEADING_FF = "missing_leading_ff"  # body began D8 FF: the first byte was dropped
JUNK_BEFORE_SOI = "junk_before_soi"  # bytes (a FIFO dummy byte) before FF D8
TRAILING_BYTES_CUT = "trailing_bytes_cut"  # FIFO padding after the real EOI
EOI_APPENDED = "eoi_appended"  # the image stopped (cut short or damaged) before its EOI


@dataclass(frozen=True)
class Jpeg:
    """A well-formed JPEG, dimensions and the repairs that made it so.

    Its bytes are parts (views into the body plus any bytes the repair adds), so that a repaired
    frame is stored without copying the body.
    """

    parts: tuple[bytes | memoryview, ...]
    width: int
    height: int
    repairs: tuple[str, ...]

    @property
    def size(self) -> int:
        return sum(len(part) for part in self.parts)

    @property
    def data(self) -> bytes:
        """The bytes in one piece (a copy unless the body needed no repair)."""
        if len(self.parts) == 1 and isinstance(self.parts[0], bytes):
            return self.parts[0]
        return b"".join(self.parts)


class _Walk(NamedTuple):
    end: int  # just past the EOI, or where the intact part of a cut or damaged image ends
    width: int
    height: int
    truncated: bool  # the EOI has to be appended at end
    scan: int  # where the (first) image data begins


def repair(body: bytes) -> Jpeg:
    """Returns the JPEG found in body, repaired; raises NotAJpeg when there is none.

    A repaired frame needs no further repair: where junk before the start of image makes the start
    ambiguous (the fuzzers find such junk), the bytes one pass keeps may start differently to the
    next pass, whose result is then taken, until nothing changes. A frame without such junk takes
    one pass (the camera's frames, and their padding or truncation, never need the second).
    """
    image = _repair_once(body)
    for _ in range(8):  # each pass that repairs cuts bytes off: it ends
        if JUNK_BEFORE_SOI not in image.repairs:
            return image
        again = _repair_once(image.data)
        if not again.repairs:
            return image
        merged = image.repairs + tuple(r for r in again.repairs if r not in image.repairs)
        image = Jpeg(again.parts, again.width, again.height, merged)
    return image


def _repair_once(body: bytes) -> Jpeg:
    """One pass of repair(): the JPEG found in body; NotAJpeg when there is none.

    The JPEG starts at the first start of image (SOI) from which the segments lead to image data,
    whatever the junk before it holds; an SOI in that junk may start a walk that swallows the real
    SOI in a segment's payload and reaches the same end, so of the starts that reach the end the
    first one reached, the last is the image. Only starts before the first walk's image data count:
    an FF D8 inside image data or past the end is part of the image or of the FIFO padding (and
    counting it would make a repaired frame repair differently a second time).
    """
    if not body:
        raise NotAJpeg("the body is empty")
    found, first, refusal = None, None, None
    for start in _starts(body):
        if first and start[1] >= first.scan:
            break
        try:
            walk = _walk(body, start[1] + 2 - len(start[0]))
        except NotAJpeg as error:
            refusal = refusal or error  # why the first start failed is what the client is told
            continue
        first = first or walk
        if (walk.end, walk.truncated) == (first.end, first.truncated):
            found = start, walk
    if found is None:
        raise refusal or NotAJpeg("no JPEG start-of-image marker (FF D8) in the body")
    (prefix, soi, repairs), (end, width, height, truncated, _) = found
    suffix = b""
    if truncated:
        suffix = EOI
        repairs.append(EOI_APPENDED)
    elif end < len(body):
        repairs.append(TRAILING_BYTES_CUT)
    if not repairs:
        return Jpeg((body,), width, height, ())
    parts = tuple(part for part in (prefix, memoryview(body)[soi:end], suffix) if part)
    return Jpeg(parts, width, height, tuple(repairs))


def _starts(body: bytes) -> Iterator[tuple[bytes, int, list[str]]]:
    """Each possible start of image in order: (bytes to prepend, offset of the SOI in body,
    repairs so far)."""
    if body.startswith(b"\xff\xd8"):
        yield b"", 0, []
    elif body.startswith(b"\xd8\xff"):
        yield b"\xff", 0, [MISSING_LEADING_FF]
    soi = body.find(b"\xff\xd8\xff", 1)
    while soi >= 0:
        yield b"", soi, [JUNK_BEFORE_SOI]
        soi = body.find(b"\xff\xd8\xff", soi + 1)


def _walk(body: bytes, pos: int) -> _Walk:
    """Walks the segments after the SOI; returns (end, width, height, truncated).

    end is the offset just past the EOI or, for an image that is cut short or damaged after
    its image data began, the end of the last intact piece (an EOI has to be appended there).
    Damage before any image data raises NotAJpeg.
    """
    size, width, height, scanned, scan = len(body), 0, 0, False, 0
    while True:
        segment_start, problem = pos, ""
        if pos >= size:
            break
        if body[pos] != 0xFF:
            problem = f"byte {pos}: expected a JPEG marker, found 0x{body[pos]:02X}"
            break
        while pos < size and body[pos] == 0xFF:
            pos += 1
        if pos >= size:
            break
        marker, pos = body[pos], pos + 1
        if marker == 0xD9:
            if not scanned:
                raise NotAJpeg("the image ends before any image data")
            return _Walk(pos, width, height, False, scan)
        if marker in STANDALONE_MARKERS:
            continue
        if marker < 0xC0 or marker == 0xD8:  # stuffing, reserved codes, a second SOI
            problem = f"byte {segment_start}: FF{marker:02X} is not a JPEG marker"
            break
        if pos + 2 > size or pos + int.from_bytes(body[pos : pos + 2]) > size:
            break
        length = int.from_bytes(body[pos : pos + 2])
        if length < 2:
            problem = f"byte {segment_start}: JPEG segment with an invalid length"
            break
        if marker in SOF_MARKERS:
            width, height = _dimensions(body, pos, length)
        pos += length
        if marker == SOS:
            if not width:
                raise NotAJpeg("image data comes before the frame header")
            scan = scan or pos
            scanned = True
            found = NEXT_MARKER.search(body, pos)
            if found is None:
                end = size
                while end > pos and body[end - 1] == 0xFF:  # half a marker or stuffed byte
                    end -= 1
                return _Walk(end, width, height, True, scan)
            pos = found.start()
    if not scanned:
        raise NotAJpeg(problem or "the body ends before any image data (no frame header or scan)")
    return _Walk(segment_start, width, height, True, scan)


def _dimensions(body: bytes, pos: int, length: int) -> tuple[int, int]:
    """Reads (width, height) from a start-of-frame segment whose length field is at pos."""
    if length < 8:
        raise NotAJpeg("the frame header is too short to hold the dimensions")
    height = int.from_bytes(body[pos + 3 : pos + 5])
    width = int.from_bytes(body[pos + 5 : pos + 7])
    if not width or not height:
        raise NotAJpeg("the frame header has no dimensions")
    return width, height
