"""Takes one uploaded body to one stored frame: size check, repair, name, hash, put.

A frame is named and dated by its capture: the service's clock when the request arrived minus the
frame's age (seconds from capture to this attempt, signed by the camera; 0 for a frame just
taken), so a frame a camera kept for days lands in its place among the others."""

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from chalicelib import clock, jpeg
from chalicelib.protocol import keys
from chalicelib.protocol.errors import FrameTooLarge
from chalicelib.storage import FrameStore

# A synchronous Lambda invoke carries 6 MB; API Gateway hands binary bodies over base64 encoded
# (4 bytes per 3), which leaves about 4.7 MB of frame. Keep some room for the rest of the event.
DEFAULT_MAX_FRAME_BYTES = 4_500_000
NUMBERS = ("age", "bytes", "width", "height")  # the facts kept in the metadata as decimal text


def ingest(
    store: FrameStore,
    body: bytes,
    camera: str,
    max_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    received: datetime | None = None,
    claim: Callable[[str], tuple[str, bool]] | None = None,
    age: int = 0,
    health: str | None = None,
) -> dict:
    """Repairs and stores body as a frame of camera captured age seconds before it was received
    (now unless given); returns what the client is told (201).

    claim (signed uploads, chalicelib/upload.py) gets the new key once the body proved to be a JPEG
    and returns (key to use, whether to write it): a retry of a stored frame names the first key,
    and so the capture time its first attempt gave. health: the camera's Stopmotion-Health value,
    kept in the object's metadata as `health` (not in what the client is told).
    """
    if len(body) > max_bytes:
        raise FrameTooLarge(f"the frame is {len(body)} bytes; the limit is {max_bytes}")
    image = jpeg.repair(body)
    received = received or clock.now()
    captured = received - timedelta(seconds=age)
    key, write = keys.frame_key(camera, captured), True
    if claim is not None:
        key, write = claim(key)
        captured = keys.parse_key(key).time
    digest = hashlib.sha256()
    for part in image.parts:
        digest.update(part)
    facts = {
        "camera": camera,
        "captured": keys.iso(captured),
        "received": keys.iso(received),
        "age": age,
        "bytes": image.size,
        "width": image.width,
        "height": image.height,
        "repairs": list(image.repairs),
        "sha256": digest.hexdigest(),
    }
    metadata = {name: str(value) for name, value in facts.items() if name != "repairs"}
    metadata["repairs"] = ",".join(image.repairs)
    if health:
        metadata["health"] = health
    if write:
        store.put(key, image.parts, metadata)
    return {"key": key, **facts}


def facts_from_metadata(metadata: dict[str, str]) -> dict:
    """What ingest() kept in an object's metadata, as it told the client: numbers as numbers,
    repairs as a list, and the health report as it came; a fact the object lacks (a server that
    keeps no metadata, a frame stored before the fact existed) is None."""
    kept = {name.lower(): value for name, value in metadata.items()}  # rclone says Camera
    facts: dict = {}
    for name in ("camera", "captured", "received", *NUMBERS, "repairs", "sha256", "health"):
        value = kept.get(name)
        if value is not None and name in NUMBERS:
            value = int(value) if value.isascii() and value.isdigit() else None
        elif value is not None and name == "repairs":
            value = [repair for repair in value.split(",") if repair]
        facts[name] = value
    return facts
