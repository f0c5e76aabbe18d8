"""The JPEG repair parser against a table of Pillow-made JPEGs times the camera's damages."""

import io
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from chalicelib import jpeg
from chalicelib.protocol.errors import NotAJpeg
from simboard.frames import blocks_jpeg

SIZES = [(40, 30), (320, 240), (801, 601)]
KINDS = ["baseline", "progressive"]
EXTRAS = ["plain", "exif-thumbnail", "comment-with-eoi"]


def with_comment(data: bytes, text: bytes) -> bytes:
    """data with a COM segment holding text right after the SOI (pixels unchanged)."""
    segment = b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text
    return data[:2] + segment + data[2:]


def original(size: tuple[int, int], kind: str, extra: str) -> bytes:
    data = blocks_jpeg(*size, progressive=kind == "progressive",
                       thumbnail=extra == "exif-thumbnail", seed=size[0] + len(kind))
    if extra == "comment-with-eoi":
        data = with_comment(data, b"an end marker \xff\xd9 and a start \xff\xd8\xff in a payload")
    return data


ORIGINALS = {
    f"{w}x{h}-{kind}-{extra}": original((w, h), kind, extra)
    for (w, h), kind, extra in itertools.product(SIZES, KINDS, EXTRAS)
}

# Damages that lose nothing: the repaired bytes must equal the original exactly.
PADDING = bytes(range(256)) * 3  # FIFO padding holds FF D8 and FF D9 too
LOSSLESS = {
    "intact": (lambda d: d, []),
    "missing-leading-ff": (lambda d: d[1:], [jpeg.MISSING_LEADING_FF]),
    "dummy-byte-00": (lambda d: b"\x00" + d, [jpeg.JUNK_BEFORE_SOI]),
    "dummy-byte-ff": (lambda d: b"\xff" + d, [jpeg.JUNK_BEFORE_SOI]),
    "junk-bytes": (lambda d: b"\x12\x00\xd8\xff\x00" + d, [jpeg.JUNK_BEFORE_SOI]),
    "junk-that-is-an-soi": (lambda d: b"\xff\xd8" + d, [jpeg.JUNK_BEFORE_SOI]),
    "junk-like-a-dropped-ff": (lambda d: b"\xd8\xff" + d, [jpeg.JUNK_BEFORE_SOI]),
    # a segment whose length runs past the real SOI: the walk from the junk fails, or succeeds
    "junk-segment-over-the-soi": (lambda d: b"\xd8\xff\xdb\x00" + d, [jpeg.JUNK_BEFORE_SOI]),
    "junk-comment-holding-the-soi": (
        lambda d: b"\xff\xd8\xff\xfe\x00\x04" + d, [jpeg.JUNK_BEFORE_SOI]),
    "zero-padding": (lambda d: d + bytes(4096), [jpeg.TRAILING_BYTES_CUT]),
    "marker-padding": (lambda d: d + PADDING, [jpeg.TRAILING_BYTES_CUT]),
    "missing-ff-and-padding": (
        lambda d: d[1:] + PADDING, [jpeg.MISSING_LEADING_FF, jpeg.TRAILING_BYTES_CUT]),
    "dummy-byte-and-padding": (
        lambda d: b"\x00" + d + PADDING, [jpeg.JUNK_BEFORE_SOI, jpeg.TRAILING_BYTES_CUT]),
    "eoi-missing": (lambda d: d[:-2], [jpeg.EOI_APPENDED]),
    "half-eoi": (lambda d: d[:-1], [jpeg.EOI_APPENDED]),
    "missing-ff-and-eoi": (lambda d: d[1:-2], [jpeg.MISSING_LEADING_FF, jpeg.EOI_APPENDED]),
}


def pixels(data: bytes) -> tuple[tuple[int, int], bytes]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.size, image.tobytes()


@pytest.mark.parametrize("damage", LOSSLESS)
@pytest.mark.parametrize("name", ORIGINALS)
def test_lossless_repairs_restore_the_original(name, damage):
    good = ORIGINALS[name]
    damaged, expected_repairs = LOSSLESS[damage][0](good), LOSSLESS[damage][1]
    result = jpeg.repair(damaged)
    assert list(result.repairs) == expected_repairs
    assert result.data == good
    assert pixels(result.data) == pixels(good)
    assert (result.width, result.height) == pixels(good)[0]


def first_scan_data(data: bytes) -> int:
    """Offset of the first byte of entropy-coded data (a walk independent of the parser)."""
    pos = 2
    while data[pos + 1] != 0xDA:
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")


def cut_in_scans(data: bytes, fraction: float) -> bytes:
    """data cut at fraction of the way through its image data (after the first scan header)."""
    start = first_scan_data(data) + 1
    return data[: start + int((len(data) - 2 - start) * fraction)]


@pytest.mark.parametrize("fraction", [0.05, 0.5, 0.97])
@pytest.mark.parametrize("name", ORIGINALS)
def test_truncated_frames_are_closed_and_decode(name, fraction):
    good = ORIGINALS[name]
    cut = cut_in_scans(good, fraction)
    with pytest.raises(OSError):  # the damage is real: Pillow refuses the frame as it is
        pixels(cut)
    result = jpeg.repair(cut)
    assert jpeg.EOI_APPENDED in result.repairs
    assert result.data.endswith(jpeg.EOI)
    assert pixels(result.data)[0] == (result.width, result.height) == pixels(good)[0]


def test_a_dummy_byte_and_a_cut_are_both_repaired():
    good = ORIGINALS["320x240-baseline-exif-thumbnail"]
    result = jpeg.repair(b"\x00" + cut_in_scans(good, 0.5))
    assert result.repairs == (jpeg.JUNK_BEFORE_SOI, jpeg.EOI_APPENDED)
    assert pixels(result.data)[0] == (320, 240)


def test_progressive_cut_inside_a_later_scan_header_drops_only_that_header():
    good = ORIGINALS["320x240-progressive-plain"]
    last_sos = good.rindex(b"\xff\xda")
    result = jpeg.repair(good[: last_sos + 5])
    assert result.data == good[:last_sos] + jpeg.EOI
    pixels(result.data)


@pytest.mark.parametrize("damage", [b"\xff\xa0\x12\x34", b"\xff\xd8\xff\xe0", b"\xff\xc4\x00\x01"])
def test_damage_after_the_image_data_began_keeps_what_came_before(damage):
    good = ORIGINALS["320x240-progressive-plain"]
    second_scan = good.index(b"\xff\xda", first_scan_data(good))
    result = jpeg.repair(good[:second_scan] + damage + good[second_scan:])
    assert result.repairs == (jpeg.EOI_APPENDED,)
    assert result.data == good[:second_scan] + jpeg.EOI
    assert pixels(result.data)[0] == (320, 240)


def test_an_intact_frame_is_returned_without_a_copy():
    good = ORIGINALS["40x30-baseline-plain"]
    assert jpeg.repair(good).data is good


def test_the_thumbnail_eoi_really_comes_first():
    """Guards the thumbnail variants: a naive search for FF D9 would cut them short."""
    data = ORIGINALS["320x240-baseline-exif-thumbnail"]
    assert data.index(jpeg.EOI) < len(data) - 2


def headers_only(data: bytes) -> bytes:
    """data up to (not including) its first SOS segment."""
    return data[: data.index(b"\xff\xda")]


NOT_JPEGS = {
    "empty": (b"", "empty"),
    "text": (b'{"hello": "world"}', "start-of-image"),
    "zeros": (bytes(1000), "start-of-image"),
    "soi-only": (b"\xff\xd8", "before any image data"),
    "soi-eoi": (b"\xff\xd8\xff\xd9", "before any image data"),
    "headers-only": (headers_only(ORIGINALS["40x30-baseline-plain"]), "before any image data"),
    "cut-in-exif": (ORIGINALS["320x240-baseline-exif-thumbnail"][:300], "before any image data"),
    "no-frame-header": (b"\xff\xd8\xff\xe0\x00\x04ab\xff\xda\x00\x02\x00\x00", "frame header"),
    "zero-height": (b"\xff\xd8\xff\xc0\x00\x0b\x08\x00\x00\x00\x10\x01\x01\x11\x00", "dimensions"),
    "garbage-after-soi": (b"\xff\xd8\x00\x01\x02", "expected a JPEG marker"),
    "bad-length": (b"\xff\xd8\xff\xe0\x00\x01", "invalid length"),
    "reserved-marker": (b"\xff\xd8\xff\xa0\x00\x04ab", "FFA0 is not a JPEG marker"),
    "second-soi": (b"\xff\xd8\xff\xd8\xff\xe0\x00\x04ab", "FFD8 is not a JPEG marker"),
}


@pytest.mark.parametrize("name", NOT_JPEGS)
def test_bodies_without_a_usable_jpeg_are_refused(name):
    body, message = NOT_JPEGS[name]
    with pytest.raises(NotAJpeg, match=message):
        jpeg.repair(body)


# Junk before the SOI, unfiltered: random bytes mixed with pieces of markers, so that junk ending in
# FF, starting D8 FF (a dropped leading FF's look) or holding an SOI that starts no image is common.
MARKER_PIECES = [b"\xff", b"\xd8\xff", b"\xff\xd8", b"\xff\xd8\xff", b"\xff\xd8\xff\xe0",
                 b"\xff\xd8\xff\xdb\x00\x43", b"\xff\xd9", b"\xff\x00"]
JUNK = st.lists(st.one_of(st.binary(max_size=8), st.sampled_from(MARKER_PIECES)), max_size=8).map(
    b"".join)


@settings(max_examples=300, deadline=None)
@given(junk=JUNK, padding=st.binary(max_size=300), name=st.sampled_from(sorted(ORIGINALS)))
def test_any_junk_and_padding_around_a_frame_is_removed(junk, padding, name):
    good = ORIGINALS[name]
    assert jpeg.repair(junk + good + padding).data == good


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(sorted(ORIGINALS)), fraction=st.floats(0.0, 1.0))
def test_any_cut_in_the_image_data_still_decodes(name, fraction):
    good = ORIGINALS[name]
    result = jpeg.repair(cut_in_scans(good, fraction))
    assert pixels(result.data)[0] == pixels(good)[0]
