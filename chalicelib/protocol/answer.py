"""The service's signed answer to a camera's upload, and which refusals are final for the camera.

Anything between the camera and the service can answer 2xx (a captive portal, a misconfigured
proxy, a hijacked name), so the camera acts only on an answer the service signed with the
camera's own secret. Every answer to POST /frames carries

    Stopmotion-Answer: Counter=<decimal>, Status=<3 digits>, Key=<frame key or ->,
        SHA256=<64 lowercase hex or ->, Received=<YYYY-MM-DDTHH:MM:SS.mmmZ>, Time=<decimal>,
        Next=<decimal seconds>, Signature=<64 hex>

(one line) where Signature = HMAC-SHA256(secret, b"SM1-ANSWER\\n" + camera id + b"\\n" + the value
up to, not including, ", Signature="): the camera MACs the bytes it received, no canonicalising.
Counter is the request's (from its credential), Status the answer's HTTP status, Key and SHA256
the stored frame's key and the SHA-256 of the stored bytes for a 201 or 200 and "-" otherwise,
Received the service's clock when the request arrived, Time the service's clock when it answered
in whole seconds since 1970 (UTC): the camera, which has no clock of its own, dates the frames it
keeps on its card by it (a decimal is what a 2 KB board can parse). Next is the whole seconds
(rounded up) from Time until the camera's next capture by its schedule, by the one rule of
schedule.next_capture (after the answer, and for an answer to a frame after the slot nearest the
frame's capture), 0 to schedule.MAX_NEXT_S: in every signed answer, refusals included, so each
answer also sets the camera's next capture and corrects its drift.

A hello (an upload with no body, upload.py) is answered 200 with Key and SHA256 "-".

Only an answer to a request whose Authorization parses as a camera credential of a camera with a
secret can be signed: an unknown camera, a missing or malformed credential, or a secret store that
cannot be read get their answer without the header (there is nothing to sign with). A camera
treats such an answer, like any other it cannot verify, as not from the service: it retries.
"""

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib.protocol.errors import ForgedAnswer, UnsignedAnswer
from chalicelib.protocol.keys import KEY, iso
from chalicelib.protocol.schedule import MAX_NEXT_S
from chalicelib.protocol.upload import MAX_COUNTER, sign

HEADER = "Stopmotion-Answer"
CONTEXT = b"SM1-ANSWER\n"  # keeps an answer's MAC apart from every request's
SIGNATURE = ", Signature="
NONE = "-"  # Key and SHA256 of an answer that stored nothing
_VALUE = re.compile(
    r"Counter=(?P<counter>0|[1-9][0-9]{0,9}), Status=(?P<status>[1-5][0-9]{2}), "
    rf"Key=(?P<key>-|{KEY.pattern}), SHA256=(?P<sha256>-|[0-9a-f]{{64}}), "
    r"Received=(?P<received>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z), "
    r"Time=(?P<time>0|[1-9][0-9]{0,9}), Next=(?P<next>0|[1-9][0-9]{0,6})"
)
_SIGNED = re.compile(rf"(.*){re.escape(SIGNATURE)}([0-9a-f]{{64}})")

# The refusals after which the camera gives its frame up: the service refused this exact request
# for what it is (its credential or counter: 401/403; its size: 413; its content: 422; its shape:
# 411/415), so the same bytes, resent, get the same answer; retrying only spends the battery and
# holds up the next frame. Everything else may pass and is retried within the camera's budget:
# the service's own trouble (5xx), throttling (429), and answers the service does not give a
# camera's upload (a signed 400 or 404 means a proxy in between mangled the request).
FINAL_STATUSES = frozenset({401, 403, 411, 413, 415, 422})


@dataclass(frozen=True)
class Answer:
    counter: int
    status: int
    key: str | None  # None: "-" (nothing stored)
    sha256: str | None
    received: datetime  # UTC
    time: int  # the service's clock when it answered, seconds since 1970
    next_s: int  # seconds from time until the camera's next capture


def final(status: int) -> bool:
    """Whether a signed answer with this status is final for the frame (FINAL_STATUSES)."""
    return status in FINAL_STATUSES


def _mac(secret: bytes, camera: str, signed_part: str) -> str:
    return sign(secret, CONTEXT + camera.encode("ascii") + b"\n" + signed_part.encode("ascii"))


def answer_value(
    secret: bytes,
    camera: str,
    counter: int,
    status: int,
    key: str | None,
    sha256: str | None,
    received: datetime,
    answered: datetime | None = None,
    next_s: int = 0,
) -> str:
    """The Stopmotion-Answer value of an answer with this status to camera's request with this
    counter; key and sha256 of the stored frame (None: "-"); answered: when (default: received);
    next_s: seconds from answered (whole seconds) to the camera's next capture
    (schedule.seconds_until_next). ValueError when a field is out of the format (the camera could
    not parse the answer)."""
    signed_part = (
        f"Counter={counter}, Status={status}, Key={key or NONE}, SHA256={sha256 or NONE}, "
        f"Received={iso(received)}, Time={int((answered or received).timestamp())}, "
        f"Next={next_s}"
    )
    if not _VALUE.fullmatch(signed_part) or counter > MAX_COUNTER or next_s > MAX_NEXT_S:
        raise ValueError(f"not a valid answer: {signed_part!r}")
    return f"{signed_part}{SIGNATURE}{_mac(secret, camera, signed_part)}"


def verify_answer(
    secret: bytes,
    camera: str,
    value: str | None,
    counter: int | None = None,
    status: int | None = None,
) -> Answer:
    """The answer in a Stopmotion-Answer value, checked against camera's secret in constant
    time and, when given, the request's counter and the status line the answer came with.
    UnsignedAnswer when it is absent or malformed, ForgedAnswer when it does not verify, answers
    another request or came with another status: not from the service."""
    if not value:
        raise UnsignedAnswer(f"the answer carries no {HEADER} header")
    signed = _SIGNED.fullmatch(value)
    fields = _VALUE.fullmatch(signed[1]) if signed else None
    if fields is None:
        raise UnsignedAnswer(f"the {HEADER} header is not in the service's format")
    if not hmac.compare_digest(_mac(secret, camera, signed[1]), signed[2]):
        raise ForgedAnswer(f"the {HEADER} header is not signed with camera {camera}'s secret")
    answered = int(fields["counter"])
    if counter is not None and answered != counter:
        raise ForgedAnswer(f"the answer is to counter {answered}, not to this request's {counter}")
    if int(fields["next"]) > MAX_NEXT_S:
        raise UnsignedAnswer(f"the answer's Next={fields['next']} is over {MAX_NEXT_S} s")
    if status is not None and int(fields["status"]) != status:
        raise ForgedAnswer(f"the answer came as {status} but the service signed {fields['status']}")
    return Answer(
        counter=answered,
        status=int(fields["status"]),
        key=None if fields["key"] == NONE else fields["key"],
        sha256=None if fields["sha256"] == NONE else fields["sha256"],
        received=datetime.fromisoformat(fields["received"]).astimezone(UTC),
        time=int(fields["time"]),
        next_s=int(fields["next"]),
    )
