"""The frames of one camera's time range as one zip, built in memory for the preview's film link.

An answer of the API carries at most what Lambda returns (6 MB, base64 encoded for a binary body:
the same bound as an upload's, ingest.DEFAULT_MAX_FRAME_BYTES), so the zip is capped: its size is
known from the listing before any frame is read (JPEGs are stored, not compressed: they do not
shrink), and a range over the cap, or over one listing page of frames, is refused at once with
what to do instead. Entries are named as `stopmotion pull` names its files (keys.local_path), so
unzipping into a folder gives one that `stopmotion render` takes.
"""

import io
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from chalicelib import catalog
from chalicelib.ingest import DEFAULT_MAX_FRAME_BYTES
from chalicelib.protocol import keys
from chalicelib.protocol.errors import NotFound, RangeTooLarge
from chalicelib.storage import FrameStore

DEFAULT_MAX_ZIP_BYTES = DEFAULT_MAX_FRAME_BYTES
MAX_FRAMES = catalog.MAX_LIMIT  # one listing page: one LIST, and reads a Lambda finishes in time
WORKERS = 10  # botocore keeps 10 connections per client
CONTENT_TYPE = "application/zip"
# Fixed sizes of the zip format (APPNOTE 4.3.7, 4.3.12, 4.3.16) for a stored entry without extras.
LOCAL_HEADER, CENTRAL_HEADER, END_RECORD = 30, 46, 22
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


def zip_size(entries: list[tuple[str, int]]) -> int:
    """The bytes of a zip that stores these (name, size) entries, as build() writes it."""
    return END_RECORD + sum(
        LOCAL_HEADER + CENTRAL_HEADER + 2 * len(name.encode()) + size for name, size in entries
    )


def file_name(camera: str, frames: list[dict]) -> str:
    """The zip's name: the camera and its first and last frame's capture times."""
    first, last = ("".join(ch for ch in frame["time"][:19] if ch.isalnum())
                   for frame in (frames[0], frames[-1]))
    return f"{camera}-{first}Z-{last}Z.zip"


def build(
    store: FrameStore,
    camera: str,
    since: datetime | None,
    until: datetime | None,
    max_bytes: int = DEFAULT_MAX_ZIP_BYTES,
) -> tuple[str, bytes]:
    """(file name, zip bytes) of camera's frames with since <= time < until, oldest first.

    Raises NotFound for a range without frames and RangeTooLarge, before reading any frame, for
    one whose zip would be over max_bytes or hold more than MAX_FRAMES frames."""
    listing = catalog.list_frames(store, camera, since, until, limit=MAX_FRAMES)
    frames = listing["frames"]
    if not frames:
        raise NotFound(f"no frames of {camera} in this range: widen it (GET /frames lists them)")
    advice = ("narrow the range, or fetch the frames with `stopmotion pull <folder> --camera "
              f"{camera} --since ... --until ...`")
    if listing["cursor"]:
        raise RangeTooLarge(f"the range holds more than {MAX_FRAMES} frames; {advice}")
    entries = [(keys.local_path(frame["key"]), frame["bytes"]) for frame in frames]
    size = zip_size(entries)
    if size > max_bytes:
        raise RangeTooLarge(f"the zip of these {len(frames)} frames would be {size} bytes; one "
                            f"answer carries at most {max_bytes}: {advice}")
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        bodies = list(pool.map(lambda frame: store.read(frame["key"], "read a frame"), frames))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for frame, (name, _), body in zip(frames, entries, bodies, strict=True):
            if body is None:  # deleted since the listing
                continue
            taken = keys.parse_key(frame["key"]).time
            entry = zipfile.ZipInfo(name, max(ZIP_EPOCH, taken.timetuple()[:6]))
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, body)
    return file_name(camera, frames), out.getvalue()
