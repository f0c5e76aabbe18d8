"""Every camera's state from the bucket and the key store, the hourly check that logs it and
alarms when the cameras in trouble change. The rules are chalicelib/protocol/fleet.py's.

S3 requests grow with cameras, not frames: one LIST for the camera folders, then per camera one
GET of its status object and one LIST from the start of its window (keys sort by capture time, so
that listing starts right there and stops at now), plus one LIST of one key for a camera with
frames but no status object yet. The cameras are looked at WORKERS at a time.
"""

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TextIO

from chalicelib import clock, metrics
from chalicelib.protocol import fleet as rules
from chalicelib.protocol import keys, schedule, secrets
from chalicelib.protocol.secrets import Secrets
from chalicelib.storage import FrameStore

WORKERS = 10  # botocore keeps 10 connections per client
log = logging.getLogger(__name__)


def now() -> datetime:
    """The service's clock for the check (chalicelib/clock.py: tests can set it)."""
    return clock.now()


def record_frame(store: FrameStore, camera: str, key: str, health: str | None,
                 received: str) -> None:
    """Updates the camera's status object for a frame just stored (one GET, one PUT)."""
    name = rules.status_key(camera)
    status = rules.parse_status(store.read(name, "read the camera's status"))
    store.write(name, rules.status_body(rules.status_after(status, key, health, received)),
                "write the camera's status")


def record_health(store: FrameStore, camera: str, health: str, received: str, key_id: str,
                  counter: int) -> None:
    """Updates only the health in the camera's status object for a hello that carried one (one
    GET, one PUT; the GET alone for a hello not newer than the last, see status_after_hello)."""
    name = rules.status_key(camera)
    status = rules.parse_status(store.read(name, "read the camera's status"))
    updated = rules.status_after_hello(status, health, received, key_id, counter)
    if updated is not None:
        store.write(name, rules.status_body(updated), "write the camera's status")


def cameras(store: FrameStore, known: Secrets) -> list[str]:
    """Every camera in the key store and every camera with frames, sorted."""
    with_frames = {folder[len(keys.ROOT):].rstrip("/") for folder in store.folders(keys.ROOT)}
    return sorted(set(known.cameras) | {c for c in with_frames if keys.CAMERA_ID.fullmatch(c)})


def look(store: FrameStore, known: Secrets, camera: str, at: datetime) -> rules.Report:
    """One camera's report at the time `at`."""
    status = rules.parse_status(store.read(rules.status_key(camera), "read the camera's status"))
    chosen = known.schedules.get(camera, schedule.DEFAULT)
    first = status.get("first") or next(
        (entry["Key"] for _, entry in keys.select(store.keys(keys.camera_prefix(camera),
                                                             page_size=1), camera)), None)
    since = rules.window_listing_from(chosen, first, at)
    prefix, start_after = keys.listing_start(camera, since)
    listed = [(name.time, name.key) for name, _ in
              keys.select(store.keys(prefix, start_after), camera, since, at)]
    secret = known.cameras.get(camera)
    return rules.report(
        camera, secrets.key_id(secret) if secret else None, chosen, status,
        [time for time, _ in listed], listed[-1][1] if listed else None, first, at,
    )


def check(store: FrameStore, known: Secrets, at: datetime,
          workers: int = WORKERS) -> list[rules.Report]:
    """Every camera's report at the time `at`, by camera id."""
    names = cameras(store, known)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda camera: look(store, known, camera, at), names))


def run_check(
    store: FrameStore, known: Secrets, at: datetime,
    publish: Callable[[str, str], None], out: TextIO | None = None,
) -> dict:
    """The hourly check: logs each camera's metrics line and, when the set of cameras in trouble
    changed since the last alarm, publishes one message naming them (publish(subject, text)),
    then keeps that set. A failed publish raises before the set is kept, so the next run (or
    Lambda's retry) sends it again."""
    reports = check(store, known, at)
    for found in reports:
        if found.key_id is not None:
            metrics.record_camera_checked(found.camera, found.missed, found.last_seen_hours, out)
    troubled = {found.camera: list(found.trouble) for found in reports if found.trouble}
    state = rules.parse_status(store.read(rules.ALARM_STATE_KEY, "read the alarm's state"))
    before = state.get("troubled") if isinstance(state.get("troubled"), dict) else {}
    changed = rules.alarm_change(troubled, before)
    if changed:
        subject, text = rules.alarm_message(troubled, before)
        publish(subject, text)
        store.write(rules.ALARM_STATE_KEY,
                    rules.status_body({"troubled": troubled, "at": keys.iso(at)}),
                    "keep the alarm's state")
    return {"cameras": len(reports), "troubled": troubled, "published": changed}
