"""Answers which frames exist: a time-filtered, paginated list, and the newest per camera.

Everything comes from the keys (camera and time are in the name), so listing needs no
per-object request and works where a server keeps no metadata.
"""

from datetime import datetime

from chalicelib import naming
from chalicelib.errors import BadRequest
from chalicelib.storage import FrameStore

MAX_LIMIT = 1000
LIMIT_RULE = f"limit must be a whole number from 1 to {MAX_LIMIT}"


def parse_limit(text: str) -> int:
    """The limit query parameter as a number: ASCII digits only (str.isdigit also takes '²',
    which int() refuses), and no more of them than MAX_LIMIT has (int() refuses thousands)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_LIMIT)):
        raise BadRequest(LIMIT_RULE)
    return int(text)


def _entry(name: naming.FrameName, size: int) -> dict:
    return {"key": name.key, "camera": name.camera, "time": naming.iso(name.time), "bytes": size}


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
    prefix = naming.camera_prefix(camera) if camera else naming.ROOT
    start_after = naming.time_prefix(camera, since) if camera and since else ""
    if cursor:
        if not cursor.startswith(prefix) or naming.parse_key(cursor) is None:
            raise BadRequest("cursor is not one this listing returned")
        start_after = max(start_after, cursor)
    frames: list[dict] = []
    for obj in store.keys(prefix, start_after, page_size=min(limit + 1, MAX_LIMIT)):
        name = naming.parse_key(obj["Key"])
        if name is None or (since and name.time < since):
            continue
        if until and name.time >= until:
            if camera:
                break  # one camera's keys are in time order: nothing later can match
            continue
        frames.append(_entry(name, obj["Size"]))
        if len(frames) > limit:
            break
    more = len(frames) > limit
    frames = frames[:limit]
    return {"frames": frames, "cursor": frames[-1]["key"] if more else None}


def latest(store: FrameStore, camera: str | None = None) -> dict:
    """The newest frame of each camera (or of one), found by descending year, month, day."""
    cameras = [naming.camera_prefix(camera)] if camera else store.folders(naming.ROOT)
    newest = (_newest_under(store, prefix, levels=3) for prefix in cameras)
    return {"frames": [frame for frame in newest if frame]}


def _newest_under(store: FrameStore, prefix: str, levels: int) -> dict | None:
    """The newest frame under prefix, which has `levels` of date folders below it.

    Tries the newest folder first and falls back to older ones (a folder may hold no frame)."""
    if levels == 0:
        newest = None
        for obj in store.keys(prefix):
            name = naming.parse_key(obj["Key"])
            if name is not None:
                newest = _entry(name, obj["Size"])
        return newest
    for folder in reversed(store.folders(prefix)):
        found = _newest_under(store, folder, levels - 1)
        if found:
            return found
    return None
