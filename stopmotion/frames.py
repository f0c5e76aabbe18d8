"""Frame names on the desktop: the camera and time a key, or a pulled file's path, carries.

Keys are the service's (chalicelib/protocol/keys.py); `stopmotion pull` keeps the part after
`frames/` as the path under its folder, so a path that ends like a key parses as that key.
"""

import argparse
from datetime import datetime
from pathlib import Path

from chalicelib.protocol import keys
from chalicelib.protocol.errors import BadRequest


def parse(key_or_path: str) -> keys.FrameName | None:
    """The frame a key or a pulled file's path names, or None when it is not a frame name."""
    parts = key_or_path.replace("\\", "/").split("/")[-keys.KEY_DEPTH :]
    return keys.parse_key(keys.ROOT + "/".join(parts))


def parse_time(text: str) -> datetime:
    """An ISO-8601 time from the command line, as the service reads one (naive means UTC)."""
    try:
        return keys.parse_time(text, "the time")
    except BadRequest as error:
        raise argparse.ArgumentTypeError(f"{text!r}: {error}") from error


def add_time_range(parser: argparse.ArgumentParser) -> None:
    """--since and --until, the half-open range of in_range, worded alike for every subcommand."""
    parser.add_argument("--since", type=parse_time,
                        help="first capture time, inclusive (ISO-8601; naive means UTC)")
    parser.add_argument("--until", type=parse_time,
                        help="end of the range, exclusive: frames taken before it (ISO-8601)")


def in_range(
    name: keys.FrameName | None,
    camera: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> bool:
    """Whether a parsed frame is of `camera` and taken in [since, until), as GET /frames says; a
    file that is no frame is only in the range that has no bounds."""
    if name is None:
        return camera is None and since is None and until is None
    return keys.within(name, camera, since, until)


def local_frames(folder: Path) -> list[Path]:
    """Every JPEG under `folder`, in time order for frame names (then by path for the rest)."""
    paths = [p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg") and p.is_file()]
    paths = [p for p in paths if not p.name.startswith(".")]  # pull's partial downloads

    def order(path: Path) -> tuple:
        name = parse(path.as_posix())
        return (0, name.time, name.camera, path.name) if name else (1, path.as_posix())

    return sorted(paths, key=order)
