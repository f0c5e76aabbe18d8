"""How a camera is doing: the frames its schedule expected against the frames stored, the camera's
status object, its health report and what counts as trouble. Decided here only.

Matching. Each frame counts for the scheduled capture (slot) nearest to its capture time (half-way
between two slots: the earlier one, which it was late for); a slot with no frame is missed, and a
slot is matched by at most one frame however many fall near it. So a frame taken a little early or
late (a camera's clock, a capture that waited for the FIFO) still counts, and a camera whose frames
keep a steady distance from the slots (today's firmware counts its interval from boot) misses
nothing. A frame is dated by its capture (keys.py), so one kept on the card and uploaded days later
counts for its slot once it arrives, and one completed by a retry is a stored frame like any other.

A slot is expected once every frame that could count for it is due: when the half-way point to
the next slot has passed (for `every 6h`, a slot is judged 3 h after it). Only slots judged within
the window (the last WINDOW_HOURS) count, and none judged before the camera's first frame: a camera
that never posted is "never seen", not "missed everything".

Status object. Every stored frame updates STATUS_PREFIX<camera>.json (status_after): the first and
the last frame by capture time, the frames stored in all and the last health report, so looking at
a camera costs one GET and one LIST of its window, whatever its history. A hello that carries a
health report updates the report alone (status_after_hello), so a camera that just booted shows
how it is doing before its first frame.

Standard library only (the `stopmotion` tools use it too).
"""

import bisect
import functools
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.protocol import keys, schedule
from chalicelib.protocol.schedule import Schedule

WINDOW_HOURS = 24  # what `missed`, `expected` and `frames_today` look back over
PREFIX = "fleet/"  # the check's own objects, beside frames/ and claims/
STATUS_PREFIX = f"{PREFIX}cameras/"
ALARM_STATE_KEY = f"{PREFIX}alarm.json"  # the cameras the last alarm named (alarm_change)
# Reset causes worth a look, and how the trouble says them. "restart": the firmware found MCUSR
# cleared by the UNO's bootloader but RAM kept, so the watchdog (or someone's finger) reset it.
TROUBLE_RESETS = {
    "watchdog": "reset by watchdog",
    "brownout": "reset by brownout",
    "brown-out": "reset by brown-out",
    "restart": "restarted without a power cut (watchdog or reset button)",
}


def status_key(camera: str) -> str:
    return f"{STATUS_PREFIX}{camera}.json"


def parse_health(text: str | None) -> dict[str, str] | None:
    """The camera's health report (`fw=0.3.0 up=3600 reset=external ...`) as {name: value};
    None when there is none. Tokens that are not name=value are skipped."""
    if not text:
        return None
    pairs = (token.partition("=") for token in text.split())
    found = {name: value for name, sep, value in pairs if sep and name}
    return found or None


def parse_status(body: bytes | None) -> dict:
    """A status object's document; {} when there is none or it is damaged (it is rebuilt by the
    next frame: first/last/frames from what that frame knows)."""
    try:
        document = json.loads(body) if body else {}
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def status_after(status: dict, key: str, health: str | None, received: str) -> dict:
    """The status once the frame `key` (received at `received`, ISO) is stored: a frame from the
    card older than the last one leaves `last` alone; the health is the newest report. The frame
    the status names already (a retry after a failure between status and claim mark) is not
    counted twice."""
    first, last = status.get("first"), status.get("last")
    updated = {
        "first": key if not first or _time_of(key) < _time_of(first) else first,
        "last": key if not last or _time_of(key) > _time_of(last) else last,
        "frames": int(status.get("frames") or 0) + (key not in (first, last)),
        "health": status.get("health"),
        "health_received": status.get("health_received"),
        **({"hello": status["hello"]} if "hello" in status else {}),
    }
    return with_health(updated, health, received)


def with_health(status: dict, health: str | None, received: str) -> dict:
    """The status with the camera's newest health report, received at `received` (ISO); the
    same status without one."""
    if not health:
        return status
    return {**status, "health": health, "health_received": received}


def status_after_hello(status: dict, health: str, received: str, key_id: str,
                       counter: int) -> dict | None:
    """The status once a hello (a verified request without a frame) reported this health: only
    health and health_received change, and the hello's counter is kept. None, nothing to write,
    for a hello whose counter is not above the last one kept under the same key id: a hello
    claims no counter, so a copy of an old one (plain HTTP: anyone on the path) could otherwise
    set an old report again."""
    last = status.get("hello")
    if (isinstance(last, dict) and last.get("key_id") == key_id
            and isinstance(last.get("counter"), int) and counter <= last["counter"]):
        return None
    return {**with_health(status, health, received),
            "hello": {"key_id": key_id, "counter": counter}}


def status_body(status: dict) -> bytes:
    return json.dumps(status, separators=(",", ":"), sort_keys=True).encode()


def _time_of(key: str) -> datetime:
    name = keys.parse_key(key)
    return name.time if name else datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Slots:
    """The slots judged in a window, each with the span of capture times that count for it:
    frames captured in (starts[i], ends[i]] count for times[i]."""

    times: tuple[datetime, ...]
    starts: tuple[datetime, ...]
    ends: tuple[datetime, ...]

    def listing_from(self, default: datetime) -> datetime:
        """The earliest capture time that can count for one of the slots (default: none)."""
        return min(self.starts[0], default) if self.times else default


def captures_between(chosen: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """The schedule's captures with start < time <= end."""
    found, after = [], start
    while True:
        batch = schedule.next_captures(chosen, after, 64)
        found += [t for t in batch if t <= end]
        if not batch or batch[-1] >= end:
            return found
        after = batch[-1]


@functools.lru_cache(maxsize=64)  # cameras of one schedule share the work within one check
def judged_slots(chosen: Schedule, since: datetime, now: datetime) -> Slots:
    """The slots judged (see the module) after since and by now."""
    # The slot at or before since may be judged after it, and its span needs the one before.
    before = captures_between(chosen, since - timedelta(days=2), since)
    if len(before) < 2:
        before = captures_between(chosen, since - timedelta(days=2 * schedule.MAX_GAP_DAYS + 1),
                                  since)
    around = before[-2:] + captures_between(chosen, since, now)
    around += schedule.next_captures(chosen, around[-1] if around else now, 1)
    times, starts, ends = [], [], []
    for i in range(1, len(around) - 1):
        start = around[i - 1] + (around[i] - around[i - 1]) / 2
        end = around[i] + (around[i + 1] - around[i]) / 2
        if since < end <= now:
            times.append(around[i])
            starts.append(start)
            ends.append(end)
    return Slots(tuple(times), tuple(starts), tuple(ends))


def matched(slots: Slots, captured: list[datetime]) -> int:
    """How many slots have a frame: each frame counts for the slot whose span holds it."""
    met = set()
    for time in captured:
        i = bisect.bisect_left(slots.ends, time)  # the first span that ends at or after time
        if i < len(slots.times) and slots.starts[i] < time:
            met.add(i)
    return len(met)


@dataclass(frozen=True)
class Report:
    """One camera, as the check, `GET /cameras` and `stopmotion camera list` show it."""

    camera: str
    key_id: str | None  # None: the camera has no secret (retired, or never added)
    schedule: Schedule
    last_key: str | None
    last_captured: datetime | None
    last_seen_hours: float | None
    frames_today: int
    frames_total: int | None  # None: frames from before status objects, none since (0: no frame)
    missed: int
    expected: int
    health: dict[str, str] | None
    trouble: tuple[str, ...]

    def as_dict(self) -> dict:
        last = None
        if self.last_key:
            last = {"key": self.last_key, "captured": keys.iso(self.last_captured)}
        return {
            "camera": self.camera,
            "key_id": self.key_id,
            "last_frame": last,
            "last_seen_hours": self.last_seen_hours,
            "frames_today": self.frames_today,
            "frames_total": self.frames_total,
            "missed": self.missed,
            "expected": self.expected,
            "health": self.health,
            "schedule": str(self.schedule),
            "tz": self.schedule.zone,
            "trouble": list(self.trouble),
        }


def report(
    camera: str,
    key_id: str | None,
    chosen: Schedule,
    status: dict,
    listed: list[datetime],
    newest_listed: str | None,
    first_key: str | None,
    now: datetime,
) -> Report:
    """The camera's report from its status object, the capture times listed from
    window_listing_from() to now (newest_listed: the last of those keys), its first frame's key
    and the time now."""
    last_key = max((k for k in (status.get("last"), newest_listed) if k), key=_time_of,
                   default=None)
    last_time = _time_of(last_key) if last_key else None
    window_start = now - timedelta(hours=WINDOW_HOURS)
    missed = expected = 0
    if first_key and key_id is not None:  # a camera without a secret cannot post: none expected
        slots = judged_slots(chosen, _judged_after(first_key, now), now)
        expected = len(slots.times)
        missed = expected - matched(slots, listed)
    hours = None if last_time is None else round((now - last_time).total_seconds() / 3600, 2)
    health = parse_health(status.get("health"))
    trouble = []
    if key_id is not None:
        trouble = troubles(first_key is not None, missed, expected, hours, health)
    frames = status.get("frames")
    if not isinstance(frames, int):  # no status object: none at all if no frame either
        frames = None if first_key else 0
    return Report(
        camera, key_id, chosen, last_key, last_time, hours,
        sum(1 for t in listed if window_start < t <= now),
        frames,
        missed, expected, health, tuple(trouble),
    )


def troubles(seen: bool, missed: int, expected: int, hours: float | None,
             health: dict[str, str] | None) -> list[str]:
    """What is wrong with a camera, in short words; [] when it is fine."""
    if not seen:
        return ["never seen"]
    found = []
    if missed:
        found.append(f"missed {missed} of {expected} frames in {WINDOW_HOURS} h")
    if missed and hours is not None and hours > WINDOW_HOURS:
        found.append(f"silent for {hours:.0f} h")
    health = health or {}
    reset = health.get("reset", "").lower()
    if reset in TROUBLE_RESETS:
        found.append(TROUBLE_RESETS[reset])
    queued = health.get("queued", "0")
    if queued.isdigit() and int(queued) > 0:
        found.append(f"{queued} frames queued on the card")
    return found


def window_listing_from(chosen: Schedule, first_key: str | None, now: datetime) -> datetime:
    """The earliest capture time report() needs listed: the window's start, or earlier when a
    frame before it can count for the window's first slot."""
    window_start = now - timedelta(hours=WINDOW_HOURS)
    if not first_key:
        return window_start
    return judged_slots(chosen, _judged_after(first_key, now), now).listing_from(window_start)


def _judged_after(first_key: str, now: datetime) -> datetime:
    """Slots judged after this count: the window's, and none before the first frame (a slot
    whose span ends right at the first frame is that frame's)."""
    first = _time_of(first_key) - timedelta(microseconds=1)
    return max(now - timedelta(hours=WINDOW_HOURS), first)


def alarm_message(troubled: dict[str, list[str]], before: dict[str, list[str]]) -> tuple[str, str]:
    """(subject, text) of the alarm when the cameras in trouble changed from before to troubled."""
    recovered = sorted(set(before) - set(troubled))
    if troubled:
        subject = f"stopmotion: {len(troubled)} camera{'s' if len(troubled) > 1 else ''} in trouble"
        lines = [f"{camera}: {'; '.join(reasons)}" for camera, reasons in sorted(troubled.items())]
    else:
        subject, lines = "stopmotion: every camera is fine again", []
    if recovered:
        lines.append(f"fine again: {', '.join(recovered)}")
    return subject, "\n".join(lines) + "\n"


def alarm_change(troubled: dict[str, list[str]], before: dict[str, list[str]]) -> bool:
    """Whether the alarm goes out: the set of cameras in trouble changed (not their reasons, so
    a camera missing one more frame each hour is no hourly mail)."""
    return set(troubled) != set(before)
