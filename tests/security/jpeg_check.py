"""An independent check that bytes are a well-formed JPEG, for the fuzzers' oracle.

Well formed: SOI first; marker segments whose lengths stay inside the data; a frame header with
non-zero dimensions before the first scan; entropy data in which FF is followed only by 00
(stuffing), FF (fill) or RST0-7; and an EOI as the very last two bytes.
"""

STANDALONE = {0x01, *range(0xD0, 0xD8)}
SOF = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


class Malformed(AssertionError):
    pass


def check(data: bytes) -> tuple[int, int]:
    """Returns (width, height) of a well-formed JPEG; raises Malformed saying what is wrong."""
    if data[:2] != b"\xff\xd8":
        raise Malformed("does not start with SOI")
    pos, size, dims = 2, len(data), None
    scanned = False
    while pos < size:
        if data[pos] != 0xFF:
            raise Malformed(f"no marker at {pos}")
        while pos < size and data[pos] == 0xFF:
            pos += 1
        if pos >= size:
            raise Malformed("ends in fill bytes")
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            if pos != size:
                raise Malformed(f"{size - pos} bytes after EOI")
            if not scanned:
                raise Malformed("EOI before any scan")
            return dims
        if marker in STANDALONE:
            continue
        if marker < 0xC0 or marker == 0xD8:  # 00 is stuffing, 02-BF reserved, a second SOI
            raise Malformed(f"FF{marker:02X} at {pos - 2} is not a marker a decoder accepts")
        if pos + 2 > size:
            raise Malformed("segment length cut off")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > size:
            raise Malformed(f"segment length {length} at {pos} runs out")
        if marker in SOF:
            if length < 8:
                raise Malformed("short frame header")
            height = int.from_bytes(data[pos + 3 : pos + 5], "big")
            width = int.from_bytes(data[pos + 5 : pos + 7], "big")
            if not width or not height:
                raise Malformed("zero dimension")
            dims = (width, height)
        pos += length
        if marker == 0xDA:
            if dims is None:
                raise Malformed("scan before frame header")
            scanned = True
            while True:  # entropy-coded data up to the next real marker
                ff = data.find(b"\xff", pos)
                if ff < 0 or ff + 1 >= size:
                    raise Malformed("scan data runs to the end without EOI")
                if data[ff + 1] in (0x00, 0xFF) or 0xD0 <= data[ff + 1] <= 0xD7:
                    pos = ff + 1 if data[ff + 1] == 0xFF else ff + 2
                    continue
                pos = ff
                break
    raise Malformed("no EOI")
