"""The missed-frame rules (chalicelib/protocol/fleet.py) against a table of schedules and frame
histories. Expected slots are worked out by hand in UTC in each row, not by the code under test."""

from datetime import UTC, datetime

import pytest

from chalicelib.protocol import fleet, keys, schedule


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def judge(schedule_text: str | None, frames: list[str], now: str, status: dict | None = None,
          key_id: str | None = "k1"):
    """The report of camera `cam` with these frames (UTC capture times) at `now`, its status
    object as ingest would have left it (plus `status`)."""
    chosen = schedule.parse(schedule_text) if schedule_text else schedule.DEFAULT
    names = sorted(keys.frame_key("cam", at(t), "ab") for t in frames)
    first = names[0] if names else None
    built = {}
    for name in names:
        built = fleet.status_after(built, name, None, keys.iso(keys.parse_key(name).time))
    status = built | (status or {})
    since = fleet.window_listing_from(chosen, first, at(now))
    listed = [n for n in names if since <= keys.parse_key(n).time < at(now)]
    return fleet.report("cam", key_id, chosen, status, [keys.parse_key(n).time for n in listed],
                        listed[-1] if listed else None, first, at(now))


# (what, schedule, frames (UTC), now (UTC), expected, missed)
TABLE = [
    # every 6h (00, 06, 12, 18 UTC); at 12:00 the slots judged in the last 24 h are yesterday's
    # 12:00 and 18:00 and today's 00:00 and 06:00 (today's 12:00 is judged at 15:00)
    ("on every slot", None,
     ["2026-11-23T12:00", "2026-11-23T18:00", "2026-11-24T00:00", "2026-11-24T06:00"],
     "2026-11-24T12:00", 4, 0),
    ("one slot without a frame", None,
     ["2026-11-23T12:00", "2026-11-24T00:00", "2026-11-24T06:00"], "2026-11-24T12:00", 4, 1),
    ("nothing for a day", None, ["2026-11-20T06:00"], "2026-11-24T12:00", 4, 4),
    ("a minute early and late", None,
     ["2026-11-23T11:59", "2026-11-23T18:01", "2026-11-24T00:00:30", "2026-11-24T05:58"],
     "2026-11-24T12:00", 4, 0),
    # half-way (3 h off) counts for the earlier slot: a camera counting 6 h from its boot
    ("half-way between slots, every time", None,
     ["2026-11-23T15:00", "2026-11-23T21:00", "2026-11-24T03:00", "2026-11-24T09:00"],
     "2026-11-24T12:00", 4, 0),
    ("three frames around one slot count once", None,
     ["2026-11-23T12:00", "2026-11-23T17:00", "2026-11-23T18:00", "2026-11-23T19:00",
      "2026-11-24T06:00"], "2026-11-24T12:00", 4, 1),
    # the slot 12:00 is judged once its span ends, 15:00: exactly then it counts
    ("the judging moment: 15:00 judges 12:00", None,
     ["2026-11-23T12:00", "2026-11-23T18:00", "2026-11-24T00:00", "2026-11-24T06:00"],
     "2026-11-24T15:00", 4, 1),
    ("a second before it does not", None,
     ["2026-11-23T12:00", "2026-11-23T18:00", "2026-11-24T00:00", "2026-11-24T06:00"],
     "2026-11-24T14:59:59", 4, 0),
    # the first frame bounds the window: nothing before it is expected
    ("first frame this morning", None, ["2026-11-24T06:00"], "2026-11-24T12:00", 1, 0),
    ("first frame exactly on a span's end counts for that slot", None,
     ["2026-11-24T03:00"], "2026-11-24T12:00", 2, 1),
    ("first frame, then silence", None, ["2026-11-23T18:00"], "2026-11-24T12:00", 3, 2),
    # (a frame uploaded late from the card is stored under its capture time: it fills its slot
    # once it arrives, tests/test_fleet_service.py)
    # at 09:00,12:00,15:00 UTC on weekdays; 2026-11-27 is a Friday: its 15:00 is judged half-way
    # to Monday 09:00, Sunday 00:00, and nothing else until Monday
    ("a weekend without frames", "at 09:00,12:00,15:00 on mon-fri",
     ["2026-11-27T15:00"], "2026-11-29T12:00", 1, 0),
    ("a weekend after a Friday without its last frame", "at 09:00,12:00,15:00 on mon-fri",
     ["2026-11-27T12:00"], "2026-11-29T12:00", 1, 1),
    # Europe/Berlin springs forward on 2026-03-29 (02:00 CET -> 03:00 CEST): 01:30 CET = 00:30
    # UTC, 02:30 never happens and is taken at the jump, 03:00 CEST = 01:00 UTC, 03:30 CEST =
    # 01:30 UTC; at 14:00 UTC the day before is out of the window (its last span ended 13:30)
    ("spring forward: the skipped time at the jump", "at 01:30,02:30,03:30 tz Europe/Berlin",
     ["2026-03-28T02:30", "2026-03-29T00:30", "2026-03-29T01:00", "2026-03-29T01:30"],
     "2026-03-29T14:00", 3, 0),
    ("spring forward: no frame at the jump", "at 01:30,02:30,03:30 tz Europe/Berlin",
     ["2026-03-28T02:30", "2026-03-29T00:30", "2026-03-29T01:30"], "2026-03-29T14:00", 3, 1),
    # falls back on 2026-10-25 (03:00 CEST -> 02:00 CET): 01:30 CEST = 23:30 UTC on the 24th,
    # 02:30 once, at its first occurrence (CEST) = 00:30 UTC, 03:30 CET = 02:30 UTC
    ("fall back: the repeated time is one slot", "at 01:30,02:30,03:30 tz Europe/Berlin",
     ["2026-10-24T23:30", "2026-10-25T00:30", "2026-10-25T02:30"], "2026-10-25T14:00", 3, 0),
    # a camera that took 02:30 twice (00:30 and 01:30 UTC) and not 03:30: the second 02:30 is
    # half-way between 00:30 and 02:30, so it counts for 00:30, already met
    ("fall back: 02:30 twice is not 03:30", "at 01:30,02:30,03:30 tz Europe/Berlin",
     ["2026-10-24T23:30", "2026-10-25T00:30", "2026-10-25T01:30"], "2026-10-25T14:00", 3, 1),
]


@pytest.mark.parametrize(("schedule_text", "frames", "now", "expected", "missed"),
                         [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_missed_frames(schedule_text, frames, now, expected, missed):
    found = judge(schedule_text, frames, now)
    assert (found.expected, found.missed) == (expected, missed)
    assert ("never seen" in found.trouble) is False
    assert bool(found.trouble) == bool(missed)


def test_a_camera_that_never_posted_is_never_seen_not_missing_everything():
    found = judge(None, [], "2026-11-24T12:00")
    assert (found.expected, found.missed, found.frames_today, found.frames_total) == (0, 0, 0, 0)
    assert (found.last_key, found.last_seen_hours) == (None, None)
    assert found.trouble == ("never seen",)


def test_a_camera_without_a_secret_is_in_no_trouble():
    """Retired (`stopmotion camera remove`): its frames stay, nothing is expected of it."""
    found = judge(None, ["2026-11-20T06:00"], "2026-11-24T12:00", key_id=None)
    assert (found.missed, found.expected, found.trouble) == (0, 0, ())
    assert found.last_seen_hours == 4 * 24 + 6


def test_frames_today_are_the_last_24_hours_and_hours_since_the_last():
    found = judge(None, ["2026-11-23T11:00", "2026-11-23T12:30", "2026-11-24T06:00"],
                  "2026-11-24T12:00")
    assert found.frames_today == 2
    assert found.last_seen_hours == 6.0
    assert found.last_captured == at("2026-11-24T06:00")


def test_a_late_frame_from_the_card_does_not_replace_the_last_frame():
    newer = keys.frame_key("cam", at("2026-11-24T06:00"), "aa")
    late = keys.frame_key("cam", at("2026-11-23T18:00"), "bb")
    status = fleet.status_after({}, newer, None, "2026-11-24T06:00:01.000Z")
    status = fleet.status_after(status, late, "queued=0", "2026-11-24T09:00:00.000Z")
    assert (status["first"], status["last"], status["frames"]) == (late, newer, 2)
    assert status["health"] == "queued=0", "the health is the newest report, whatever the frame"


def test_status_keeps_the_newest_health_and_counts_every_frame():
    status = {}
    for hour, health in ((0, "up=10 queued=1"), (6, None), (12, "up=20 queued=0")):
        key = keys.frame_key("cam", at(f"2026-11-24T{hour:02d}:00"), "aa")
        status = fleet.status_after(status, key, health, f"2026-11-24T{hour:02d}:00:01.000Z")
    assert status["frames"] == 3
    assert fleet.parse_health(status["health"]) == {"up": "20", "queued": "0"}
    assert status["health_received"] == "2026-11-24T12:00:01.000Z"
    again = fleet.status_after(status, key, None, "2026-11-24T12:00:09.000Z")
    assert again["frames"] == 3, "the same frame again (a retry after a 503) counts once"


def test_health_is_parsed_into_its_tokens():
    text = ("fw=0.2.0 up=3600 boots=5 reset=external sram=531 tries=1 queued=0 lost=0 lead=1 "
            "link=up dhcp=0 spi=4000")
    parsed = fleet.parse_health(text)
    assert parsed["reset"] == "external" and parsed["spi"] == "4000" and len(parsed) == 12
    assert fleet.parse_health("") is None and fleet.parse_health(None) is None
    assert fleet.parse_health("junk fw=1 =x") == {"fw": "1"}


@pytest.mark.parametrize(("health", "says"), [
    ("reset=watchdog queued=0", "reset by watchdog"),
    ("reset=external queued=3", "3 frames queued on the card"),
    ("reset=restart queued=0", "restarted without a power cut (watchdog or reset button)"),
    ("reset=brownout", "reset by brownout"),
])
def test_health_that_needs_a_look_is_trouble(health, says):
    frames = ["2026-11-23T12:00", "2026-11-23T18:00", "2026-11-24T00:00", "2026-11-24T06:00"]
    found = judge(None, frames, "2026-11-24T12:00", status={"health": health})
    assert found.missed == 0 and found.trouble == (says,)


def test_silence_is_named_when_frames_are_missed():
    found = judge(None, ["2026-11-22T06:00"], "2026-11-24T12:00")
    assert found.trouble == ("missed 4 of 4 frames in 24 h", "silent for 54 h")


def test_a_damaged_status_object_reads_as_none():
    assert fleet.parse_status(b"{not json") == {} and fleet.parse_status(b"[1]") == {}
    assert fleet.parse_status(None) == {}


def test_the_alarm_goes_out_when_the_set_changes_not_the_reasons():
    before = {"a": ["missed 1 of 4 frames in 24 h"]}
    assert not fleet.alarm_change({"a": ["missed 2 of 4 frames in 24 h"]}, before)
    assert fleet.alarm_change({"a": ["x"], "b": ["never seen"]}, before)
    assert fleet.alarm_change({}, before)
    subject, text = fleet.alarm_message({"b": ["never seen"]}, before)
    assert subject == "stopmotion: 1 camera in trouble"
    assert text == "b: never seen\nfine again: a\n"
    subject, text = fleet.alarm_message({}, before)
    assert "fine again" in subject and text == "fine again: a\n"
