"""Camera schedules (chalicelib/protocol/schedule.py): the grammar, its refusals, the capture times
across daylight saving and polar days, and sunrise/sunset against published times."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.protocol import schedule
from chalicelib.protocol.schedule import DEFAULT, ScheduleError, next_captures, parse

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# (date, latitude, longitude, zone, published sunrise, published sunset, source)
PUBLISHED = [
    (date(2023, 12, 22), -33.8688, 151.2093, "Australia/Sydney", "05:41", "20:06",
     "10play.com.au/theproject, 2023-12-20: 'In Sydney, the sun will rise at 5.41am and set "
     "at 8.06pm'"),
    (date(2023, 12, 22), -31.9523, 115.8613, "Australia/Perth", "05:07", "19:22",
     "10play.com.au/theproject, 2023-12-20: 'In Perth, the sun will rise at 5.07am and set "
     "at 7,22pm'"),
    (date(2025, 1, 13), 38.8951, -77.0364, "America/New_York", "07:26", "17:08",
     "skylinenews.world/?p=15519 (Washington, D.C., Monday January 13)"),
    (date(2025, 2, 12), 38.8951, -77.0364, "America/New_York", "07:03", "17:43",
     "skylinenews.world/?p=15519 (Washington, D.C., Wednesday February 12)"),
]


@pytest.mark.parametrize("day, lat, lon, zone, sunrise, sunset, source", PUBLISHED)
def test_sunrise_and_sunset_within_a_minute_of_published_times(
    day, lat, lon, zone, sunrise, sunset, source
):
    events = schedule.sun_events(day, lat, lon, ZoneInfo(zone))
    for computed, published in zip(events, (sunrise, sunset), strict=True):
        local = computed.astimezone(ZoneInfo(zone))
        hour, minute = map(int, published.split(":"))
        expected = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))
        assert abs(local - expected) <= timedelta(minutes=1), (published, local, source)


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("every 6h", "every 6h"),
        ("at 15:00, 09:00,12:00 tz utc", "at 09:00,12:00,15:00"),
        ("every 15m from 07:00 to 18:00 on mon,tue,wed,thu,fri tz Europe/London",
         "every 15m from 07:00 to 18:00 on mon-fri tz Europe/London"),
        ("EVERY 30m FROM sunrise+30m TO sunset-30m tz Europe/Berlin lat 52.5 lon 13.4",
         "every 30m from sunrise+30m to sunset-30m tz Europe/Berlin lat 52.5 lon 13.4"),
        ("every 90m from sunrise to sunset+1h on sat-sun lat -33.87 lon 151.21",
         "every 90m from sunrise to sunset+1h on sat-sun lat -33.87 lon 151.21"),
        ("at 09:00 on fri-mon", "at 09:00 on mon,fri-sun"),
    ],
)
def test_text_form_round_trips(text, canonical):
    assert str(parse(text)) == canonical
    assert parse(canonical) == parse(text)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty schedule"),
        ("daily 09:00", "starts with `at` or `every`"),
        ("every 15m tz Mars/Base", "unknown time zone 'Mars/Base'"),
        ("at 25:00", "'25:00' is not a time of day"),
        ("at 09:60", "'09:60' is not a time of day"),
        ("every 15m from 18:00 to 07:00", "window from 18:00 to 07:00 is empty"),
        ("every 15m from 10:00 to 10:00", "window from 10:00 to 10:00 is empty"),
        ("every 30m from sunset to sunrise lat 52.5 lon 13.4", "never occurs"),
        ("every 15m on mon-fru", "bad weekday 'mon-fru'"),
        ("every 0m", "at least 1m"),
        ("every -5m", "is not an interval"),
        ("every 7h", "every 7h does not divide 24h"),
        ("every 25h from 07:00 to 18:00", "longer than a day"),
        ("every 30m from sunrise to sunset", "add `lat 52.5 lon 13.4`"),
        ("every 30m from sunrise to sunset lat 95 lon 0", "latitude is -90 to 90"),
        ("at 09:00 lat 52.5 lon 13.4", "only for sunrise and sunset"),
        ("at 09:00 tz UTC tz UTC", "`tz` given twice"),
        ("at 09:00 at 10:00", "unexpected 'at'"),
        # Tromsø: the sun does not rise from late November to mid-January.
        ("every 30m from sunrise to sunset tz Europe/Oslo lat 69.65 lon 18.96",
         "no capture for 48 days from 28 Nov"),
        ("every 2h from sunrise+8h to sunset-8h lat 52.5 lon 13.4", "at most 7 days"),
    ],
)
def test_bad_schedules_are_refused_with_what_is_wrong(text, message):
    with pytest.raises(ScheduleError) as refused:
        parse(text)
    assert message in str(refused.value)


def test_default_is_every_six_hours_on_the_utc_clock():
    assert str(DEFAULT) == "every 6h" and parse("every 6h") == DEFAULT
    assert next_captures(DEFAULT, utc(2026, 12, 1, 10, 45), 4) == [
        utc(2026, 12, 1, 12), utc(2026, 12, 1, 18), utc(2026, 12, 2, 0), utc(2026, 12, 2, 6)
    ]
    assert schedule.seconds_until_next(DEFAULT, utc(2026, 12, 1, 10, 45)) == 75 * 60


def test_captures_are_strictly_after_and_seconds_round_up():
    roof = parse("at 09:00,12:00,15:00")
    assert next_captures(roof, utc(2026, 12, 1, 9), 2) == [
        utc(2026, 12, 1, 12), utc(2026, 12, 1, 15)
    ]
    assert schedule.seconds_until_next(roof, utc(2026, 12, 1, 8, 59, 59, 500000)) == 1
    assert schedule.seconds_until_next(roof, utc(2026, 12, 1, 15, 0, 1)) == 18 * 3600 - 1


def test_building_site_works_weekdays_in_its_zone():
    site = parse("every 15m from 07:00 to 18:00 on mon-fri tz Europe/London")
    friday_evening = datetime(2026, 12, 4, 17, 50, tzinfo=ZoneInfo("Europe/London"))
    assert next_captures(site, friday_evening, 2) == [utc(2026, 12, 4, 18), utc(2026, 12, 7, 7)]
    monday = next_captures(site, utc(2026, 12, 7, 0), 100)
    assert len([t for t in monday if t.date() == date(2026, 12, 7)]) == 45  # 07:00..18:00
    summer = next_captures(site, utc(2026, 7, 1), 1)[0]  # British Summer Time: 07:00 is 06:00 UTC
    assert summer == utc(2026, 7, 1, 6)


def test_plant_follows_the_daylight():
    plant = parse("every 30m from sunrise+30m to sunset-30m lat 52.52 lon 13.405 tz Europe/Berlin")
    day = date(2026, 6, 21)
    sunrise, sunset = schedule.sun_events(day, 52.52, 13.405, BERLIN)
    captures = [
        t for t in next_captures(plant, utc(2026, 6, 20, 22), 60) if t < utc(2026, 6, 21, 22)
    ]
    assert captures[0] == sunrise + timedelta(minutes=30)
    assert sunset - timedelta(minutes=60) < captures[-1] <= sunset - timedelta(minutes=30)
    assert all(b - a == timedelta(minutes=30) for a, b in zip(captures, captures[1:], strict=False))


def test_spring_forward_a_skipped_time_is_taken_when_the_clock_jumps():
    # Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST; 02:30 does not exist that day.
    daily = parse("at 02:30 tz Europe/Berlin")
    assert next_captures(daily, utc(2026, 3, 27, 12), 3) == [
        utc(2026, 3, 28, 1, 30),  # 02:30 CET
        utc(2026, 3, 29, 1, 0),  # the jump: 02:00 CET = 03:00 CEST
        utc(2026, 3, 30, 0, 30),  # 02:30 CEST
    ]
    night = parse("every 15m from 01:00 to 04:00 tz Europe/Berlin")
    times = [t for t in next_captures(night, utc(2026, 3, 28, 12), 20)
             if t.astimezone(BERLIN).date() == date(2026, 3, 29)]
    assert times == [utc(2026, 3, 29, 0) + timedelta(minutes=15 * i) for i in range(9)]


def test_fall_back_a_repeated_time_is_taken_once():
    # New York, 1 November 2026: 01:00-01:59 happens twice (EDT, then EST).
    daily = parse("at 01:30 tz America/New_York")
    assert next_captures(daily, utc(2026, 10, 31, 12), 3) == [
        utc(2026, 11, 1, 5, 30),  # 01:30 EDT, the first time; not again at 01:30 EST
        utc(2026, 11, 2, 6, 30),  # 01:30 EST
        utc(2026, 11, 3, 6, 30),
    ]
    hourly = parse("every 1h tz America/New_York")
    first_of_november = [t for t in next_captures(hourly, utc(2026, 11, 1, 3), 30)
                         if t.astimezone(NEW_YORK).date() == date(2026, 11, 1)]
    assert len(first_of_november) == 24 and len(set(first_of_november)) == 24  # in 25 hours


def test_midnight_sun_is_a_whole_day_and_polar_night_no_capture():
    # Rovaniemi (66.5 N): the sun does not set at midsummer, and sets only briefly in December.
    arctic = parse("every 1h from sunrise to sunset tz Europe/Helsinki lat 66.5 lon 25.7")
    midsummer = [t for t in next_captures(arctic, utc(2026, 6, 20, 12), 48)
                 if t.astimezone(arctic.tz).date() == date(2026, 6, 21)]
    assert len(midsummer) == 24  # 00:00 to 23:00 local
    assert schedule.sun_events(date(2026, 12, 21), 69.65, 18.96, ZoneInfo("Europe/Oslo")) is None
    assert schedule.sun_events(date(2026, 6, 21), 69.65, 18.96, ZoneInfo("Europe/Oslo")) == (
        utc(2026, 6, 20, 22), utc(2026, 6, 21, 22)  # local 00:00 to 24:00
    )


def test_a_weekly_schedule_is_the_longest_allowed():
    weekly = parse("at 09:00 on mon")
    after = utc(2026, 12, 7, 9)  # a Monday's capture
    assert next_captures(weekly, after, 1) == [after + timedelta(days=7)]
    assert schedule.seconds_until_next(weekly, after) == 7 * 86400


def test_a_schedule_built_without_parse_follows_its_zone():
    berlin_nine = schedule.Schedule(times=(9 * 60,), zone="Europe/Berlin")
    assert next_captures(berlin_nine, utc(2026, 12, 1), 1) == [utc(2026, 12, 1, 8)]
    assert berlin_nine == parse("at 09:00 tz Europe/Berlin")


ROOF = "at 09:00,12:00,15:00"
# The rule of the camera's next capture (schedule.next_capture, the signed answer's Next):
# (case, schedule, the answer's time, the frame's capture time or None for a hello, next capture)
NEXT = [
    ("hello: the next slot after the answer", ROOF,
     utc(2026, 12, 1, 11, 59, 35), None, utc(2026, 12, 1, 12)),
    ("hello exactly at a slot: strictly after, the slot after it", ROOF,
     utc(2026, 12, 1, 12), None, utc(2026, 12, 1, 15)),
    ("early frame: taken 30 s before its slot, answered before it: not that slot again", ROOF,
     utc(2026, 12, 1, 11, 59, 35), utc(2026, 12, 1, 11, 59, 30), utc(2026, 12, 1, 15)),
    ("late frame: taken 40 s after its slot: the next slot", ROOF,
     utc(2026, 12, 1, 12, 0, 45), utc(2026, 12, 1, 12, 0, 40), utc(2026, 12, 1, 15)),
    ("frame exactly at its slot, answered at once", ROOF,
     utc(2026, 12, 1, 12), utc(2026, 12, 1, 12), utc(2026, 12, 1, 15)),
    ("a frame halfway between two slots belongs to the earlier: the later is not skipped", ROOF,
     utc(2026, 12, 1, 13, 30, 5), utc(2026, 12, 1, 13, 30), utc(2026, 12, 1, 15)),
    ("frame from the card, days old: the next slot after the answer", ROOF,
     utc(2026, 12, 3, 13), utc(2026, 12, 1, 9, 0, 2), utc(2026, 12, 3, 15)),
    ("frame from the card taken just before a slot that has passed since", ROOF,
     utc(2026, 12, 1, 15, 0, 3), utc(2026, 12, 1, 14, 59, 58), utc(2026, 12, 2, 9)),
    ("spring forward: a frame early for the slot the jump moved (02:30 -> 03:00 CEST)",
     "at 02:30,12:00 tz Europe/Berlin",
     utc(2026, 3, 29, 0, 59, 55), utc(2026, 3, 29, 0, 59, 50), utc(2026, 3, 29, 10)),
    ("fall back: a late frame for 01:30 EDT; 01:30 EST is no slot",
     "at 01:30 tz America/New_York",
     utc(2026, 11, 1, 5, 30, 20), utc(2026, 11, 1, 5, 30, 10), utc(2026, 11, 2, 6, 30)),
    ("fall back: a hello in the repeated hour", "at 01:30 tz America/New_York",
     utc(2026, 11, 1, 6, 10), None, utc(2026, 11, 2, 6, 30)),
    ("weekly across the end of summer time: a week and an hour",
     "at 09:00 on sun tz Europe/Berlin",
     utc(2026, 10, 18, 7, 0, 4), utc(2026, 10, 18, 6, 59, 59), utc(2026, 10, 25, 8)),
]


@pytest.mark.parametrize("case, text, now, captured, expected", NEXT, ids=[r[0] for r in NEXT])
def test_the_next_capture_follows_the_frames_slot(case, text, now, captured, expected):
    chosen = parse(text)
    assert schedule.next_capture(chosen, now, captured) == expected
    wait = schedule.seconds_until_next(chosen, now, captured)
    assert wait == (expected - now).total_seconds()  # whole minutes apart: exact
    assert 1 <= wait <= schedule.MAX_NEXT_S


def test_the_wait_rounds_up_to_whole_seconds_and_is_bounded():
    roof = parse(ROOF)
    assert schedule.seconds_until_next(roof, utc(2026, 12, 1, 11, 59, 59, 1000)) == 1
    assert schedule.seconds_until_next(roof, utc(2026, 12, 1, 11, 59, 58, 999000)) == 2
    assert schedule.MAX_NEXT_S == (schedule.MAX_GAP_DAYS + 1) * 86400
    weekly = parse("at 09:00 on sun tz Europe/Berlin")  # the longest wait a schedule can give
    assert schedule.seconds_until_next(weekly, utc(2026, 10, 18, 7)) == 7 * 86400 + 3600


def test_the_nearest_slot_looks_back_over_the_longest_gap():
    weekly = parse("at 09:00 on mon")
    sunday = utc(2026, 12, 13, 20)  # six and a half days after Monday's 09:00, half a day before
    assert schedule.nearest_capture(weekly, sunday) == utc(2026, 12, 14, 9)
    assert schedule.nearest_capture(weekly, utc(2026, 12, 10, 20)) == utc(2026, 12, 7, 9)
