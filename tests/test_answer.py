"""chalicelib/protocol/answer.py on its own: the signed answer's exact bytes, what verifies it and
what does not, and which signed refusals are final for the camera."""

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from chalicelib.protocol import answer, errors, keys, schedule
from chalicelib.protocol.answer import ForgedAnswer, UnsignedAnswer, answer_value, verify_answer

SECRET, OTHER_SECRET = bytes(range(32)), bytes(range(1, 33))
RECEIVED = datetime(2026, 11, 24, 6, 0, 0, 123000, tzinfo=UTC)
KEY = keys.frame_key("garden", RECEIVED, "00ab12cd")
SHA = hashlib.sha256(b"frame").hexdigest()


def test_the_value_is_the_documented_bytes_and_its_mac():
    value = answer_value(SECRET, "garden", 7, 201, KEY, SHA, RECEIVED, next_s=21599)
    signed = (f"Counter=7, Status=201, Key={KEY}, SHA256={SHA}, "
              "Received=2026-11-24T06:00:00.123Z, Time=1795500000, Next=21599")
    # spelled out here the way a camera computes it over the bytes it received
    expected = hmac.new(SECRET, b"SM1-ANSWER\ngarden\n" + signed.encode(), "sha256").hexdigest()
    assert value == f"{signed}, Signature={expected}"
    assert answer.HEADER == "Stopmotion-Answer"


def test_a_refusal_has_no_key_and_no_hash():
    value = answer_value(SECRET, "garden", 8, 403, None, None, RECEIVED)
    assert value.startswith("Counter=8, Status=403, Key=-, SHA256=-, Received=")
    got = verify_answer(SECRET, "garden", value)
    assert (got.counter, got.status, got.key, got.sha256) == (8, 403, None, None)


def test_the_value_verifies_with_the_cameras_secret_and_gives_back_every_field():
    answered = datetime(2026, 11, 24, 6, 0, 2, tzinfo=UTC)
    value = answer_value(SECRET, "garden", 7, 201, KEY, SHA, RECEIVED, answered, 10798)
    assert verify_answer(SECRET, "garden", value, counter=7, status=201) == answer.Answer(
        counter=7, status=201, key=KEY, sha256=SHA, received=RECEIVED, time=1795500002,
        next_s=10798)


@pytest.mark.parametrize("next_s", [0, 1, 86_400, schedule.MAX_NEXT_S])
def test_next_is_every_wait_the_schedule_can_give(next_s):
    value = answer_value(SECRET, "garden", 9, 403, None, None, RECEIVED, next_s=next_s)
    assert f", Next={next_s}, Signature=" in value
    assert verify_answer(SECRET, "garden", value, 9, 403).next_s == next_s


def test_a_next_beyond_the_longest_wait_is_neither_built_nor_believed():
    with pytest.raises(ValueError):
        answer_value(SECRET, "garden", 9, 201, KEY, SHA, RECEIVED, next_s=schedule.MAX_NEXT_S + 1)
    signed = ("Counter=9, Status=201, Key=-, SHA256=-, Received=2026-11-24T06:00:00.123Z, "
              f"Time=1795500000, Next={schedule.MAX_NEXT_S + 1}")
    mac = hmac.new(SECRET, b"SM1-ANSWER\ngarden\n" + signed.encode(), "sha256").hexdigest()
    with pytest.raises(UnsignedAnswer, match="Next"):
        verify_answer(SECRET, "garden", f"{signed}, Signature={mac}")


@pytest.mark.parametrize("case", [
    "another camera's secret", "another camera's id", "status changed", "key changed",
    "counter changed", "signature changed", "answer to another counter",
    "came with another status line", "next changed",
])
def test_a_value_that_does_not_verify_is_forged(case):
    value = answer_value(SECRET, "garden", 7, 201, KEY, SHA, RECEIVED)
    secret, camera, counter, status = SECRET, "garden", 7, 201
    if case == "another camera's secret":
        secret = OTHER_SECRET
    elif case == "another camera's id":
        camera = "porch"
    elif case == "status changed":
        value = value.replace("Status=201", "Status=200")
    elif case == "key changed":
        value = value.replace("00ab12cd", "00ab12ce")
    elif case == "counter changed":
        value, counter = value.replace("Counter=7,", "Counter=8,"), 8
    elif case == "signature changed":
        value = value[:-1] + ("0" if value[-1] != "0" else "1")
    elif case == "answer to another counter":
        counter = 6
    elif case == "next changed":
        value = value.replace("Next=0,", "Next=1,")
    else:
        status = 200
    with pytest.raises(ForgedAnswer) as raised:
        verify_answer(secret, camera, value, counter, status)
    assert raised.value.retry_safe


@pytest.mark.parametrize("value", [
    None, "", "ok",
    "Counter=7, Status=201, Key=-, SHA256=-, Received=2026-11-24T06:00:00.123Z",  # no signature
    # the format before Next: a camera of 0.2.0 takes no answer without its next capture
    "Counter=7, Status=201, Key=-, SHA256=-, Received=2026-11-24T06:00:00.123Z, Time=1, Signature="
    + "0" * 64,
    "Counter=7, Status=201, Key=-, SHA256=-, Received=2026-11-24T06:00:00.123Z, Time=1, Next=-5, "
    "Signature=" + "0" * 64,
    "Counter=7, Status=201, Key=-, SHA256=-, Received=2026-11-24T06:00:00.123Z, Time=1, Next=01, "
    "Signature=" + "0" * 64,
    "Counter=7, Status=201, Key=-, SHA256=-, Received=2026-11-24T06:00:00Z, Signature=" + "0" * 64,
    "Counter=07, Status=201, Key=-, SHA256=-, Received=2026-11-24T06:00:00.123Z, Signature="
    + "0" * 64,
    "Status=201, Counter=7, Key=-, SHA256=-, Received=2026-11-24T06:00:00.123Z, Signature="
    + "0" * 64,
])
def test_an_absent_or_malformed_value_is_unsigned(value):
    with pytest.raises(UnsignedAnswer) as raised:
        verify_answer(SECRET, "garden", value)
    assert raised.value.retry_safe


@pytest.mark.parametrize("fields", [
    (2**32, 201, KEY, SHA), (1, 2010, KEY, SHA), (1, 201, "frames/x.jpg", SHA),
    (1, 201, KEY, SHA.upper()), (1, 201, KEY, "ab"),
])
def test_a_value_out_of_the_format_is_never_built(fields):
    with pytest.raises(ValueError):
        answer_value(SECRET, "garden", *fields, RECEIVED)


FINAL = [  # status of a signed answer -> does the camera give the frame up?
    (401, True),  # no usable credential
    (403, True),  # bad signature, stale or replayed counter
    (411, True), (415, True),  # request shape
    (413, True),  # frame too large
    (422, True),  # not a JPEG
    (201, False), (200, False),  # stored: not a refusal at all
    (400, False), (404, False), (405, False),  # not what the service answers an upload
    (429, False),  # throttled
    (500, False), (502, False), (503, False), (504, False),  # the service's trouble
]


@pytest.mark.parametrize("status, is_final", FINAL, ids=[str(row[0]) for row in FINAL])
def test_final_refusals(status, is_final):
    assert answer.final(status) is is_final


def test_final_refusals_are_exactly_errors_a_retry_cannot_fix():
    """Every error the service can answer with a final status is one that is not safe to retry,
    and every error that is safe to retry has a status the camera retries."""
    classes = [c for c in vars(errors).values()
               if isinstance(c, type) and issubclass(c, errors.ProtocolError)]
    for cls in classes:
        if answer.final(cls.status):
            assert not cls.retry_safe, cls
        if cls.retry_safe:
            assert not answer.final(cls.status), cls
