"""parts.PartsReader: the repaired frame's parts read back as one stream, with seeks."""

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.parts import PartsReader


@given(parts=st.lists(st.binary(max_size=50), max_size=5), chunk=st.integers(1, 64),
       skip=st.integers(0, 120))
def test_reading_in_chunks_after_a_seek_gives_the_joined_bytes(parts, chunk, skip):
    joined = b"".join(parts)
    reader = io.BufferedReader(PartsReader([memoryview(p) for p in parts]), buffer_size=chunk)
    reader.read()  # a first pass (signing, checksum) ...
    reader.seek(skip)  # ... then the rewind a retry or the send does
    pieces = []
    while piece := reader.read(chunk):
        pieces.append(piece)
    assert b"".join(pieces) == joined[skip:]


def test_seek_end_and_tell_give_the_size():
    reader = PartsReader([b"\xff", memoryview(b"abcdef")[1:4], b"\xff\xd9"])
    assert reader.seek(0, io.SEEK_END) == reader.tell() == 6
    reader.seek(-2, io.SEEK_CUR)
    assert reader.read() == b"\xff\xd9"


@pytest.mark.parametrize("whence", [io.SEEK_SET, io.SEEK_CUR])
def test_a_seek_before_the_start_stops_at_zero(whence):
    reader = PartsReader([b"abc"])
    assert reader.seek(-5, whence) == 0
    assert reader.read() == b"abc"
