"""Frame names: the camera and capture time a key (or a pulled file's path) carries, filters.

Keys are the service's (chalicelib.naming builds them, `key` here delegates to it):
`frames/<camera>/<YYYY>/<MM>/<DD>/<YYYYMMDD>T<HHMMSS>.<mmm>Z-<suffix>.jpg`; `stopmotion pull`
keeps the part after `frames/` as the path under its folder, so both parse alike.
"""

import argparse
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from chalicelib import naming

PREFIX = naming.ROOT
_NAME = (rf"(?P<camera>{naming.CAMERA_ID.pattern})/\d{{4}}/\d{{2}}/\d{{2}}/"
         r"(?P<stamp>\d{8}T\d{6}\.\d{3}Z)-[0-9A-Za-z_-]+\.jpg")
NAME = re.compile(r"(?:^|/)" + _NAME + "$")  # a key, or a path that ends like one
KEY = re.compile(PREFIX + _NAME)  # exactly a key: nothing that could leave the pull folder
STAMP = "%Y%m%dT%H%M%S.%fZ"


@dataclass(frozen=True)
class FrameName:
    camera: str
    taken: datetime  # UTC, when the service received the frame


def is_key(key: str) -> bool:
    """Whether `key` is exactly a frame key (safe to use as a path under a folder)."""
    return KEY.fullmatch(key) is not None


def parse(key_or_path: str) -> FrameName | None:
    """The camera and capture time in a key or path, or None when it is not a frame name."""
    match = NAME.search(key_or_path.replace("\\", "/"))
    if not match:
        return None
    taken = datetime.strptime(match["stamp"], STAMP).replace(tzinfo=UTC)
    return FrameName(match["camera"], taken)


def parse_time(text: str) -> datetime:
    """An ISO-8601 time from the command line (a date alone means its midnight); naive means UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise ValueError(f"not an ISO-8601 time: {text!r}") from error
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def add_time_range(parser: argparse.ArgumentParser) -> None:
    """--since and --until, the half-open range of in_range, worded alike for every subcommand."""
    parser.add_argument("--since", type=parse_time,
                        help="first capture time, inclusive (ISO-8601; naive means UTC)")
    parser.add_argument("--until", type=parse_time,
                        help="end of the range, exclusive: frames taken before it (ISO-8601)")


def camera_prefix(camera: str | None) -> str:
    """The key prefix that lists one camera's frames (all cameras when None)."""
    return naming.camera_prefix(camera) if camera else PREFIX


def key(camera: str, taken: datetime, suffix: str = "") -> str:
    """A frame's key (without `suffix`: a key that sorts just before every frame of that ms)."""
    return naming.time_prefix(camera, taken) + (f"-{suffix}.jpg" if suffix else "")


def in_range(
    name: FrameName | None,
    camera: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> bool:
    """Whether a parsed frame is of `camera` and taken in [since, until); None bounds are open.

    The same half-open range as the service's GET /frames."""
    if name is None:
        return camera is None and since is None and until is None
    if camera and name.camera != camera:
        return False
    if since and name.taken < since:
        return False
    return not (until and name.taken >= until)


def local_frames(folder: Path) -> list[Path]:
    """Every JPEG under `folder`, in time order for frame names (then by path for the rest)."""
    paths = [p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg") and p.is_file()]
    paths = [p for p in paths if not p.name.startswith(".")]  # pull's partial downloads

    def order(path: Path) -> tuple:
        name = parse(path.as_posix())
        return (0, name.taken, name.camera, path.name) if name else (1, path.as_posix())

    return sorted(paths, key=order)
