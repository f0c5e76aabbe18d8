"""When a camera takes its frames: the schedule's rules, its text form and the next capture times.

The one owner of the schedule grammar (HELP; the settings store, the service and `stopmotion
camera schedule` all go through `parse`).

DEFAULT (`every 6h`, UTC) is what cameras did before schedules: four frames a day, here on the
clock (00:00, 06:00, 12:00, 18:00 UTC) instead of counted from the camera's boot.

Sunrise and sunset are computed here (NOAA's solar equations after Meeus: the sun's upper limb on
the horizon, 0.833 degrees of refraction and radius, no elevation), rounded to the minute: within
a minute of the published times in tests/test_schedule.py (latitudes 32 to 39), less exact near
the polar circles, where the sun grazes the horizon. On a day the sun does not set, sunrise is
00:00 and sunset 24:00 (the window is the whole day, offsets applied); on a day it does not rise,
no capture.
A schedule that leaves more than MAX_GAP_DAYS days without a capture (a polar night, a window that
never occurs) is refused, so a camera is never told to wait longer than that.

Standard library only; the time zones come from the system's database (or the `tzdata` package).
"""

import functools
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HELP = """\
A schedule is one line of words:

    at 09:00,12:00,15:00 [on DAYS] [tz ZONE]
    every INTERVAL [from POINT to POINT] [on DAYS] [tz ZONE] [lat LATITUDE lon LONGITUDE]

- INTERVAL: minutes or hours, `15m`, `2h`. Without a window the captures start at 00:00 and the
  interval must divide 24 h (so each day has the same times); with one they start at the window's
  start and go on while they are not after its end.
- POINT: a time of day `HH:MM` (00:00 to 23:59), or `sunrise`/`sunset` with an optional offset,
  `sunrise+30m`, `sunset-1h` (then `lat` and `lon`, in degrees north and east, are required).
  A window must not cross midnight.
- DAYS: `mon`..`sun`, ranges `mon-fri` and lists `mon,wed,fri` (default: every day).
- ZONE: an IANA name, `Europe/Berlin` (default UTC). Times are wall-clock times in that zone:
  a time the clock skips when daylight saving starts is taken once, at the moment the clock jumps;
  a time that occurs twice when it ends is taken once, at its first occurrence.
A schedule that leaves more than 7 days without a capture (a polar night) is refused. A camera
with no schedule follows the default, `every 6h` (00:00, 06:00, 12:00 and 18:00 UTC).
"""

DAY_MINUTES = 24 * 60
MAX_GAP_DAYS = 7
# The longest wait the service tells a camera: the longest gap parse allows, and a day of slack
# (a weekly time moves by an hour across daylight saving; a frame's own slot is skipped).
MAX_NEXT_S = (MAX_GAP_DAYS + 1) * 86400
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAYS = frozenset(range(7))
# The days a schedule is checked over for gaps: two years (the sun's cycle, leap day included).
CHECK_FROM, CHECK_DAYS = date(2027, 1, 1), 2 * 366
SUN_EVENTS = ("sunrise", "sunset")
GRAMMAR = (
    "write `at HH:MM[,HH:MM...]` or `every N(m|h) [from A to B]` (A, B: HH:MM or sunrise/sunset "
    "with an offset such as sunrise+30m), then optionally `on mon-fri`, `tz Europe/Berlin`, "
    "`lat 52.5 lon 13.4`"
)


class ScheduleError(ValueError):
    """The text is not a schedule; the message says what is wrong and what to write instead."""


@dataclass(frozen=True)
class Point:
    """A moment of each day: a time of day (`event` "clock", `minutes` after midnight) or
    sunrise/sunset (`event`) shifted by `minutes`."""

    event: str
    minutes: int

    def __str__(self) -> str:
        if self.event == "clock":
            return f"{self.minutes // 60:02d}:{self.minutes % 60:02d}"
        if not self.minutes:
            return self.event
        return f"{self.event}{'+' if self.minutes > 0 else '-'}{_duration(abs(self.minutes))}"


@dataclass(frozen=True)
class Schedule:
    times: tuple[int, ...] = ()  # `at`: minutes after midnight, sorted
    every: int | None = None  # minutes
    window: tuple[Point, Point] | None = None
    days: frozenset[int] = ALL_DAYS  # 0 = Monday
    zone: str = "UTC"
    lat: float | None = None
    lon: float | None = None

    def __str__(self) -> str:
        if self.times:
            words = ["at", ",".join(str(Point("clock", m)) for m in self.times)]
        else:
            words = ["every", _duration(self.every)]
            if self.window:
                words += ["from", str(self.window[0]), "to", str(self.window[1])]
        if self.days != ALL_DAYS:
            words += ["on", _days_text(self.days)]
        if self.zone != "UTC":
            words += ["tz", self.zone]
        if self.lat is not None:
            words += ["lat", str(self.lat), "lon", str(self.lon)]
        return " ".join(words)

    @property
    def tz(self) -> tzinfo:
        return _zone(self.zone)  # ZoneInfo keeps one instance per name


DEFAULT = Schedule(every=6 * 60)


@functools.lru_cache(maxsize=256)  # pure; the gap check reads two years of sunrises
def parse(text: str) -> Schedule:
    """The schedule `text` describes (the module's grammar); ScheduleError says what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ScheduleError(f"empty schedule: {GRAMMAR}")
    words = re.sub(r"\s*,\s*", ",", text.strip()).split()
    options: dict[str, str] = {}
    what = words.pop(0).lower()
    if what == "at":
        if not words:
            raise ScheduleError("`at` needs times of day, e.g. `at 09:00,12:00,15:00`")
        times = tuple(sorted({_clock(t) for t in words.pop(0).split(",") if t}))
        every, window = None, None
    elif what == "every":
        if not words:
            raise ScheduleError("`every` needs an interval, e.g. `every 30m` or `every 2h`")
        times, every, window = (), _interval(words.pop(0)), None
        if words and words[0].lower() == "from":
            if len(words) < 4 or words[2].lower() != "to":
                raise ScheduleError("a window is `from A to B`, e.g. `from 07:00 to 18:00`")
            window = (_point(words[1]), _point(words[3]))
            del words[:4]
    else:
        raise ScheduleError(f"a schedule starts with `at` or `every`, not {what!r}: {GRAMMAR}")
    while words:
        key = words.pop(0).lower()
        if key not in ("on", "tz", "lat", "lon"):
            raise ScheduleError(f"unexpected {key!r}: {GRAMMAR}")
        if key in options:
            raise ScheduleError(f"`{key}` given twice")
        if not words:
            raise ScheduleError(f"`{key}` needs a value")
        options[key] = words.pop(0)
    days = _days(options["on"]) if "on" in options else ALL_DAYS
    zone = options.get("tz", "UTC")
    zone = "UTC" if zone.upper() == "UTC" else zone
    _zone(zone)
    lat, lon = _location(options.get("lat"), options.get("lon"), window)
    schedule = Schedule(times, every, window, days, zone, lat, lon)
    _check_interval(schedule)
    _check_gaps(schedule)
    return schedule


def next_captures(schedule: Schedule, after: datetime, n: int) -> list[datetime]:
    """The first n capture times strictly after `after` (aware), as aware UTC datetimes."""
    if after.tzinfo is None:
        raise ValueError("after must be an aware datetime")
    day = after.astimezone(schedule.tz).date() - timedelta(days=1)
    found: list[datetime] = []
    for _ in range(366 + 2):
        found += [t for t in _captures_on(schedule, day) if t > after]
        day += timedelta(days=1)
        if len(found) >= n:  # and the next day's, which a window past midnight may precede
            found += [t for t in _captures_on(schedule, day) if t > after]
            break
    return sorted(set(found))[:n]


def nearest_capture(schedule: Schedule, moment: datetime) -> datetime | None:
    """The capture time nearest to moment (aware), before or after it; the earlier of two as near.
    None only for a schedule without any capture (parse refuses those)."""
    later = next_captures(schedule, moment, 1)
    earlier = None
    day = moment.astimezone(schedule.tz).date() + timedelta(days=1)
    for _ in range(MAX_GAP_DAYS + 3):  # parse refuses longer gaps
        past = [t for t in _captures_on(schedule, day) if t <= moment]
        if past:
            earlier = max(past)
            break
        day -= timedelta(days=1)
    candidates = [t for t in (earlier, *later) if t is not None]
    return min(candidates, key=lambda t: abs(t - moment)) if candidates else None


def next_capture(
    schedule: Schedule, now: datetime, captured: datetime | None = None
) -> datetime | None:
    """THE rule of the camera's next capture (the signed answer's Next): the first capture time
    strictly after `now` (the answer's time) and, for an answer to a frame, strictly after the
    capture time nearest to the frame's capture (`captured`): a frame taken a little early or late
    for its slot (the camera's resonator drifts) is followed by the next slot, never by its own
    slot again, and a frame from the card days old changes nothing. None: no capture ahead."""
    after = now
    if captured is not None:
        nearest = nearest_capture(schedule, captured)
        if nearest is not None and nearest > after:
            after = nearest
    upcoming = next_captures(schedule, after, 1)
    return upcoming[0] if upcoming else None


def seconds_until_next(
    schedule: Schedule, now: datetime, captured: datetime | None = None
) -> int:
    """Whole seconds from now until next_capture (rounded up, at least 1), at most MAX_NEXT_S."""
    upcoming = next_capture(schedule, now, captured)
    if upcoming is None:
        return MAX_NEXT_S
    return min(MAX_NEXT_S, max(1, math.ceil((upcoming - now).total_seconds())))


def sun_events(day: date, lat: float, lon: float, zone: tzinfo) -> tuple[datetime, datetime] | None:
    """(sunrise, sunset) of the local date `day` as aware UTC datetimes; None when the sun does not
    rise that day; local 00:00 and 24:00 when it does not set."""
    noon = datetime.combine(day, time(12), zone).astimezone(UTC)
    midnight = datetime.combine(noon.date(), time(0), UTC)
    cos_h = _cos_hour_angle(noon, lat)
    if cos_h > 1:  # the sun stays below the horizon
        return None
    if cos_h < -1:  # the sun stays above it
        start = datetime.combine(day, time(0), zone)
        return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
    solar_noon = _solar_noon(midnight, noon, lon)
    if solar_noon - noon > timedelta(hours=12):
        midnight -= timedelta(days=1)
    elif noon - solar_noon > timedelta(hours=12):
        midnight += timedelta(days=1)
    events = []
    for sign in (-1, 1):
        moment = _solar_noon(midnight, noon, lon)
        for _ in range(3):  # the sun's declination and the equation of time at the event itself
            angle = _hour_angle(moment, lat)
            moment = _solar_noon(midnight, moment, lon) + timedelta(minutes=sign * 4 * angle)
        events.append(_whole_minute(moment))
    return events[0], events[1]


def _whole_minute(moment: datetime) -> datetime:
    return (moment + timedelta(seconds=30)).replace(second=0, microsecond=0)


def _captures_on(schedule: Schedule, day: date) -> list[datetime]:
    """The captures of one local date, as aware UTC datetimes."""
    if day.weekday() not in schedule.days:
        return []
    midnight = datetime.combine(day, time(0))
    if schedule.times:
        walls = [midnight + timedelta(minutes=m) for m in schedule.times]
    else:
        bounds = _window_on(schedule, day)
        if bounds is None:
            return []
        wall, end, end_included = bounds
        walls, step = [], timedelta(minutes=schedule.every)
        while wall < end or (end_included and wall == end):
            walls.append(wall)
            wall += step
    return sorted({_instant(wall, schedule.tz) for wall in walls})


def _window_on(schedule: Schedule, day: date) -> tuple[datetime, datetime, bool] | None:
    """(first, last, last included) wall times of the day's window, naive; None: no window today."""
    midnight = datetime.combine(day, time(0))
    if schedule.window is None:
        return midnight, midnight + timedelta(days=1), False
    sun = None
    if any(p.event != "clock" for p in schedule.window):
        sun = sun_events(day, schedule.lat, schedule.lon, schedule.tz)
        if sun is None:
            return None
    walls = []
    for point in schedule.window:
        if point.event == "clock":
            walls.append(midnight + timedelta(minutes=point.minutes))
        else:
            moment = sun[SUN_EVENTS.index(point.event)] + timedelta(minutes=point.minutes)
            walls.append(moment.astimezone(schedule.tz).replace(tzinfo=None))
    if walls[0] > walls[1]:
        return None
    return walls[0], walls[1], True


def _instant(wall: datetime, zone: tzinfo) -> datetime:
    """The UTC instant of a naive wall time in zone: its first occurrence, or for a time the clock
    skips, the moment the clock jumps."""
    probe = wall
    while probe.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) != probe:
        probe = (probe + timedelta(minutes=1)).replace(second=0, microsecond=0)
    return probe.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _check_interval(schedule: Schedule) -> None:
    every = schedule.every
    if every is None:
        return
    if every > DAY_MINUTES:
        raise ScheduleError(f"every {_duration(every)} is longer than a day: at most 24h")
    if schedule.window is None and DAY_MINUTES % every:
        fitting = ", ".join(_duration(m) for m in (5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 480))
        raise ScheduleError(
            f"every {_duration(every)} does not divide 24h, so the times would change from day to "
            f"day: choose an interval that does ({fitting}, 12h, 24h) or give a window "
            "(`from 07:00 to 18:00`)"
        )
    window = schedule.window
    clock_window = window and all(p.event == "clock" for p in window)
    if clock_window and window[0].minutes >= window[1].minutes:
        raise ScheduleError(
            f"the window from {window[0]} to {window[1]} is empty: its start must come before its "
            "end (windows across midnight are not supported)"
        )


def _check_gaps(schedule: Schedule) -> None:
    """Refuses a schedule with a run of MAX_GAP_DAYS days or more without a capture within the
    two years from CHECK_FROM (a capture day's captures all exist: skipped times are moved)."""
    if schedule.window is None or all(p.event == "clock" for p in schedule.window):
        return  # every day of `on` has a capture, and `on` names at least one day a week
    run, first_empty, longest, empty_from = 0, None, 0, None
    captured = False
    for offset in range(CHECK_DAYS):
        day = CHECK_FROM + timedelta(days=offset)
        if day.weekday() in schedule.days and _window_on(schedule, day) is not None:
            captured, run = True, 0
            continue
        if run == 0:
            first_empty = day
        run += 1
        if run > longest:
            longest, empty_from = run, first_empty
    where = f"at lat {schedule.lat} lon {schedule.lon}"
    if not captured:
        raise ScheduleError(
            f"the window from {schedule.window[0]} to {schedule.window[1]} never occurs {where}: "
            "its start is after its end on every day"
        )
    if longest >= MAX_GAP_DAYS:
        raise ScheduleError(
            f"no capture for {longest} days from {empty_from:%d %b} {where} (a polar night, or a "
            f"window too short): at most {MAX_GAP_DAYS} days may pass without a capture; use "
            "fixed times of day there"
        )


def _clock(text: str) -> int:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ScheduleError(f"{text!r} is not a time of day: use HH:MM from 00:00 to 23:59")
    return int(match[1]) * 60 + int(match[2])


def _interval(text: str) -> int:
    minutes = _minutes(text, "an interval")
    if minutes <= 0:
        raise ScheduleError(f"every {text}: the interval must be at least 1m")
    return minutes


def _minutes(text: str, what: str) -> int:
    match = re.fullmatch(r"(\d+)([mh])", text.lower())
    if not match:
        raise ScheduleError(f"{text!r} is not {what}: use minutes or hours, e.g. 30m or 2h")
    return int(match[1]) * (60 if match[2] == "h" else 1)


def _point(text: str) -> Point:
    match = re.fullmatch(r"(sunrise|sunset)(?:([+-])(.+))?", text.lower())
    if not match:
        return Point("clock", _clock(text))
    offset = _minutes(match[3], "an offset") if match[3] else 0
    if offset > DAY_MINUTES // 2:
        raise ScheduleError(f"{text!r}: an offset from {match[1]} is at most 12h")
    return Point(match[1], -offset if match[2] == "-" else offset)


def _days(text: str) -> frozenset[int]:
    days: set[int] = set()
    for part in text.lower().split(","):
        ends = part.split("-")
        if len(ends) > 2 or not all(end in WEEKDAYS for end in ends):
            raise ScheduleError(
                f"bad weekday {part!r} in `on {text}`: use mon, tue, wed, thu, fri, sat, sun, "
                "ranges like mon-fri and lists like mon,wed,fri"
            )
        first, last = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
        days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
    return frozenset(days)


def _days_text(days: frozenset[int]) -> str:
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(
        WEEKDAYS[r[0]] if len(r) == 1 else f"{WEEKDAYS[r[0]]}-{WEEKDAYS[r[-1]]}" for r in runs
    )


def _zone(name: str) -> tzinfo:
    if name == "UTC":
        return UTC  # no time zone database needed for the default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin, "
            "America/New_York or UTC"
        ) from None


def _location(lat: str | None, lon: str | None, window) -> tuple[float | None, float | None]:
    uses_sun = window is not None and any(p.event != "clock" for p in window)
    if lat is None and lon is None:
        if uses_sun:
            raise ScheduleError("sunrise and sunset need the place: add `lat 52.5 lon 13.4`")
        return None, None
    if not uses_sun:
        raise ScheduleError("`lat` and `lon` are only for sunrise and sunset windows")
    if lat is None or lon is None:
        raise ScheduleError("give both `lat` and `lon` (degrees, north and east positive)")
    try:
        north, east = float(lat), float(lon)
    except ValueError:
        raise ScheduleError(f"lat {lat} lon {lon}: use decimal degrees, e.g. lat 52.5 lon 13.4") \
            from None
    if not (-90 <= north <= 90 and -180 <= east <= 180):
        raise ScheduleError(f"lat {lat} lon {lon}: latitude is -90 to 90, longitude -180 to 180")
    return north, east


def _duration(minutes: int) -> str:
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


# NOAA's solar equations (Meeus, Astronomical Algorithms), angles in degrees.


def _sun(moment: datetime) -> tuple[float, float]:
    """(declination in degrees, equation of time in minutes) at moment."""
    julian = moment.timestamp() / 86400 + 2440587.5
    t = (julian - 2451545) / 36525
    mean_long = (280.46646 + t * (36000.76983 + 0.0003032 * t)) % 360
    anomaly = math.radians(357.52911 + t * (35999.05029 - 0.0001537 * t))
    ecc = 0.016708634 - t * (0.000042037 + 0.0000001267 * t)
    center = (
        math.sin(anomaly) * (1.914602 - t * (0.004817 + 0.000014 * t))
        + math.sin(2 * anomaly) * (0.019993 - 0.000101 * t)
        + math.sin(3 * anomaly) * 0.000289
    )
    omega = math.radians(125.04 - 1934.136 * t)
    apparent = math.radians(mean_long + center - 0.00569 - 0.00478 * math.sin(omega))
    mean_obliquity = 23 + (26 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60) / 60
    obliquity = math.radians(mean_obliquity + 0.00256 * math.cos(omega))
    declination = math.degrees(math.asin(math.sin(obliquity) * math.sin(apparent)))
    y = math.tan(obliquity / 2) ** 2
    long_rad = math.radians(mean_long)
    eq_time = 4 * math.degrees(
        y * math.sin(2 * long_rad)
        - 2 * ecc * math.sin(anomaly)
        + 4 * ecc * y * math.sin(anomaly) * math.cos(2 * long_rad)
        - 0.5 * y * y * math.sin(4 * long_rad)
        - 1.25 * ecc * ecc * math.sin(2 * anomaly)
    )
    return declination, eq_time


def _cos_hour_angle(moment: datetime, lat: float) -> float:
    declination = math.radians(_sun(moment)[0])
    phi = math.radians(lat)
    return math.cos(math.radians(90.833)) / (math.cos(phi) * math.cos(declination)) - math.tan(
        phi
    ) * math.tan(declination)


def _hour_angle(moment: datetime, lat: float) -> float:
    """The sunrise hour angle in degrees at moment's declination (0 or 180 where the sun grazes
    the horizon all day at the event, near the polar circles)."""
    return math.degrees(math.acos(max(-1.0, min(1.0, _cos_hour_angle(moment, lat)))))


def _solar_noon(midnight: datetime, moment: datetime, lon: float) -> datetime:
    """Solar noon after the UTC midnight `midnight`, with the equation of time at moment."""
    return midnight + timedelta(minutes=720 - 4 * lon - _sun(moment)[1])
