"""Frame object keys: frames/<camera>/<YYYY>/<MM>/<DD>/<YYYYMMDD>T<HHMMSS>.<mmm>Z-<hex>.jpg (UTC).

The time is the frame's capture (the service's arrival time minus the age the camera signed), so
keys of one camera sort by capture, a frame uploaded days late among the others; the random suffix
keeps two frames of one millisecond apart.
Camera and time are in the name, so listing needs no per-object request.
"""

import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib.protocol.errors import BadRequest

ROOT = "frames/"
DEFAULT_CAMERA = "default"  # the firmware's id unless configured
CAMERA_ID = re.compile(r"[a-z0-9-]{1,32}")
KEY = re.compile(
    rf"{ROOT}(?P<camera>{CAMERA_ID.pattern})/\d{{4}}/\d{{2}}/\d{{2}}/"
    r"(?P<stamp>\d{8}T\d{6}\.\d{3})Z-[0-9a-f]+\.jpg"
)
KEY_DEPTH = 5  # path components after ROOT: camera, year, month, day, file name


@dataclass(frozen=True)
class FrameName:
    """What a key says about its frame."""

    key: str
    camera: str
    time: datetime  # UTC, when the frame was captured (arrival at the service minus its age)


def camera_id(value: str, source: str) -> str:
    """The camera id given in source (a query parameter), checked."""
    if not CAMERA_ID.fullmatch(value):
        raise BadRequest(f"{source} must be 1 to 32 of a-z, 0-9 and '-'")
    return value


def camera_prefix(camera: str | None) -> str:
    """The key prefix of one camera's frames (of every camera's when None)."""
    return f"{ROOT}{camera}/" if camera else ROOT


def time_prefix(camera: str, time: datetime) -> str:
    """The start of every key of this camera at this millisecond; sorts before them all."""
    time = time.astimezone(UTC)
    year = f"{time.year:04d}"  # strftime's %Y gives 999, which sorts after 2026
    day, stamp = f"{time:%m/%d}", f"{time:%m%dT%H%M%S}.{time.microsecond // 1000:03d}Z"
    return f"{camera_prefix(camera)}{year}/{day}/{year}{stamp}"


def frame_key(camera: str, captured: datetime, suffix: str | None = None) -> str:
    """The key of a frame of this camera captured at this time; a new random suffix unless given
    (hex digits)."""
    return f"{time_prefix(camera, captured)}-{suffix or secrets.token_hex(4)}.jpg"


def parse_key(key: str) -> FrameName | None:
    """The camera and time a frame key names, or None for a key that is not a frame."""
    match = KEY.fullmatch(key)
    if match is None:
        return None
    time = datetime.strptime(match["stamp"], "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC)
    return FrameName(key, match["camera"], time)


def local_path(key: str) -> str:
    """Where a frame goes in a folder of frames (`stopmotion pull`, the preview's zip):
    <camera>/<YYYY>/<MM>/<DD>/<file name>, the key without ROOT."""
    return key.removeprefix(ROOT)


def parse_time(text: str, name: str) -> datetime:
    """An ISO-8601 time (a date alone is its midnight; without a zone it is UTC), in UTC; name
    says where it came from in the error."""
    try:
        time = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{name} must be an ISO-8601 time, e.g. 2026-11-24T06:00:00Z") from None
    try:
        return time.replace(tzinfo=UTC) if time.tzinfo is None else time.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-23:59 is in the year 10000 in UTC
        raise BadRequest(f"{name} must lie between the years 1 and 9999 in UTC") from None


def iso(time: datetime) -> str:
    """UTC time as ISO-8601 with milliseconds and a Z."""
    return time.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def listing_start(camera: str | None, since: datetime | None) -> tuple[str, str]:
    """(prefix, start after) of the key listing that holds every frame of camera (all cameras
    when None) from since on: one camera's keys sort by time, so it starts at since."""
    return camera_prefix(camera), time_prefix(camera, since) if camera and since else ""


def within(
    name: FrameName,
    camera: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> bool:
    """Whether the frame is of camera and captured in [since, until); None bounds are open."""
    if camera and name.camera != camera:
        return False
    if since and name.time < since:
        return False
    return not (until and name.time >= until)


def select(
    entries: Iterable[dict],
    camera: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[tuple[FrameName, dict]]:
    """The frames among key listing entries ({"Key": ..., in key order}) of camera captured in
    [since, until), with their entries; what is not a frame key is skipped. One camera's keys
    sort by time, so its listing is read no further than until."""
    for entry in entries:
        name = parse_key(entry["Key"])
        if name is None:
            continue
        if camera and until and name.camera == camera and name.time >= until:
            return
        if within(name, camera, since, until):
            yield name, entry
