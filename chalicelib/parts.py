"""A repaired frame's parts read as one stream, so it is stored without a joined copy."""

import io
from collections.abc import Sequence
from typing import Any


class PartsReader(io.RawIOBase):
    """A seekable stream over byte parts: sends a repaired frame without joining it into a copy.

    Reads return at most READ_SIZE bytes, so botocore's 1 MB reads (hashing, checksum) do not
    allocate 1 MB buffers each.
    """

    READ_SIZE = 8 * 1024

    def __init__(self, parts: Sequence[bytes | memoryview]) -> None:
        self._parts = [memoryview(part).cast("B") for part in parts]
        self._size = sum(len(part) for part in self._parts)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(self.READ_SIZE), b""))
        start = 0
        for part in self._parts:
            if self._pos < start + len(part):
                offset = self._pos - start
                piece = part[offset : offset + min(size, self.READ_SIZE)]
                self._pos += len(piece)
                return bytes(piece)
            start += len(part)
        return b""

    def readinto(self, buffer: Any) -> int:
        target = memoryview(buffer).cast("B")
        piece = self.read(len(target))
        target[: len(piece)] = piece
        return len(piece)
