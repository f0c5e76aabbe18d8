"""Answers which frames exist: a time-filtered, paginated list, and the newest per camera.

Everything comes from the keys (camera and time are in the name), so listing needs no
per-object request and works where a server keeps no metadata.
"""

from datetime import datetime
from itertools import islice

from chalicelib.protocol import keys
from chalicelib.protocol.errors import BadRequest
from chalicelib.storage import FrameStore

MAX_LIMIT = 1000
LIMIT_RULE = f"limit must be a whole number from 1 to {MAX_LIMIT}"


def parse_limit(text: str) -> int:
    """The limit query parameter as a number: ASCII digits only (str.isdigit also takes '²',
    which int() refuses), and no more of them than MAX_LIMIT has (int() refuses thousands)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_LIMIT)):
        raise BadRequest(LIMIT_RULE)
    return int(text)


def _entry(name: keys.FrameName, size: int) -> dict:
    return {"key": name.key, "camera": name.camera, "time": keys.iso(name.time), "bytes": size}


def list_frames(
    store: FrameStore,
    camera: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> dict:
    """Frames with since <= time < until, by camera then time; "cursor" fetches the next page."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(LIMIT_RULE)
    prefix, start_after = keys.listing_start(camera, since)
    if cursor:
        if not cursor.startswith(prefix) or keys.parse_key(cursor) is None:
            raise BadRequest("cursor is not one this listing returned")
        start_after = max(start_after, cursor)
    listing = store.keys(prefix, start_after, page_size=min(limit + 1, MAX_LIMIT))
    found = keys.select(listing, camera, since, until)
    frames = [_entry(name, entry["Size"]) for name, entry in islice(found, limit + 1)]
    more = len(frames) > limit
    frames = frames[:limit]
    return {"frames": frames, "cursor": frames[-1]["key"] if more else None}


def latest(store: FrameStore, camera: str | None = None) -> dict:
    """The newest frame of each camera (or of one), found by descending year, month, day."""
    cameras = [keys.camera_prefix(camera)] if camera else store.folders(keys.ROOT)
    newest = (_newest_under(store, prefix, levels=3) for prefix in cameras)
    return {"frames": [frame for frame in newest if frame]}


def _newest_under(store: FrameStore, prefix: str, levels: int) -> dict | None:
    """The newest frame under prefix, which has `levels` of date folders below it.

    Tries the newest folder first and falls back to older ones (a folder may hold no frame)."""
    if levels == 0:
        newest = None
        for name, entry in keys.select(store.keys(prefix)):
            newest = _entry(name, entry["Size"])
        return newest
    for folder in reversed(store.folders(prefix)):
        found = _newest_under(store, folder, levels - 1)
        if found:
            return found
    return None
