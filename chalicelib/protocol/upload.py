"""The camera's upload: one signed HTTP/1.1 POST of a JPEG, built the way the firmware builds it.

The head, in the firmware's order (firmware/lib/http/http_request.cpp):
    POST <path> HTTP/1.1 / Host / User-Agent: stopmotion-cam/<version> / Content-Type /
    Content-Length / Authorization / Stopmotion-Health (optional) / Connection: close
Authorization: SM1-HMAC-SHA256 Camera=<id>, Counter=<decimal>, Age=<decimal seconds>,
    Signature=<64 lowercase hex>
(one line) where Signature = HMAC-SHA256(secret, string_to_sign(...)) and Age is the whole
seconds from the frame's capture to this attempt: a camera keeps a frame for hours or days when the
service cannot be reached, and every attempt signs its own age (the counter and body stay), so the
service dates the frame by its capture. Parsing is strict and bounded: anything but the exact shape
is a MalformedCredential.

A hello, the camera's request at boot for when to capture, is the same request with no body
(Content-Length: 0, Age=0, the SHA-256 of nothing), signed with a fresh counter.

Stopmotion-Health: the camera's health, space-separated name=value tokens (HEALTH_FIELDS in the
firmware's order; names [a-z]{1,8}, values [A-Za-z0-9.-]{1,16}, at most MAX_HEALTH_TOKENS tokens
and MAX_HEALTH_CHARS characters; a name the service does not know is kept, not refused). It is
signed: its value exactly as sent is the string to sign's last line ("" without the header). It is
sent once: a request that carries it twice is refused (one_health, and parse_health for the values
a proxy joined with ", ").
"""

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.protocol.errors import (
    Forbidden,
    MalformedCredential,
    MalformedHealth,
    MissingCredential,
)
from chalicelib.protocol.keys import CAMERA_ID

ROUTE = "/frames"  # the route the camera signs, whatever prefix a proxy adds in front of it
METHOD = "POST"
CONTENT_TYPES = ("image/jpeg", "application/octet-stream")  # what the service accepts
FIRMWARE_VERSION = "0.3.0"  # firmware/include/camera_config.h says the same
USER_AGENT_PREFIX = "stopmotion-cam/"
SCHEME = "SM1-HMAC-SHA256"
CHALLENGE = f'{SCHEME} realm="stopmotion"'  # WWW-Authenticate of a 401 to a camera
MAX_HEADER_CHARS = 256  # the longest well-formed camera header is 167 characters
MAX_COUNTER = 2**32 - 1  # the camera keeps a 32-bit counter in EEPROM
# The oldest frame the service takes: a camera queues frames on its card through a week or more
# offline; a larger age is a camera clock or queue gone wrong, not a frame to date a year back.
MAX_AGE_S = 400 * 24 * 3600
_DECIMAL = "(0|[1-9][0-9]{0,9})"  # one spelling per number: no sign, no leading zeros
_CAMERA_HEADER = re.compile(
    rf"{SCHEME} Camera=({CAMERA_ID.pattern}), Counter={_DECIMAL}, Age={_DECIMAL}, "
    r"Signature=([0-9a-f]{64})"
)
HEALTH_HEADER = "Stopmotion-Health"
# What the firmware reports, in its order: firmware version, uptime (s), boot count, last reset
# cause, lowest free SRAM (bytes), attempts for this frame, frames queued, frames lost since the
# last report, the burst lead-in, link state, DHCP renewals, the SPI clock in use (kHz).
HEALTH_FIELDS = ("fw", "up", "boots", "reset", "sram", "tries", "queued", "lost", "lead", "link",
                 "dhcp", "spi")
MAX_HEALTH_TOKENS = 16
MAX_HEALTH_CHARS = 200
HEALTH_FORMAT = (
    f"{HEALTH_HEADER} must be name=value tokens separated by single spaces, e.g. "
    "'fw=0.3.0 up=3600 sram=612' (names a-z, 1-8 letters; values A-Z a-z 0-9 . -, 1-16 "
    f"characters; each name once; at most {MAX_HEALTH_TOKENS} tokens and {MAX_HEALTH_CHARS} "
    "characters), or left out"
)
HEALTH_ONCE = (
    f"send {HEALTH_HEADER} once: of two reports the service cannot tell which is the camera's, "
    "and a proxy may pass on either or join them"
)
_HEALTH_TOKEN = re.compile(r"([a-z]{1,8})=([A-Za-z0-9.-]{1,16})")
_DUMMY_KEY = bytes(32)  # keeps an unknown camera as slow as a known one


@dataclass(frozen=True)
class CameraCredential:
    camera: str
    counter: int
    age: int  # seconds from the frame's capture to this attempt
    signature: str


def request_head(
    host: str,
    path: str,
    length: int,
    authorization: str | None,
    user_agent: str,
    content_type: str = CONTENT_TYPES[0],
    health: str | None = None,
) -> bytes:
    """The exact bytes of the camera's request head, up to and including the blank line; host is
    the Host header's value (with ":<port>" unless 80); health the Stopmotion-Health value (None:
    no header). Raises ValueError for a value that is not printable ASCII (it would not be one
    header line)."""
    lines = [
        f"{METHOD} {path} HTTP/1.1",
        f"Host: {host}",
        f"User-Agent: {user_agent}",
        f"Content-Type: {content_type}",
        f"Content-Length: {length}",
        *([f"Authorization: {authorization}"] if authorization else []),
        *([f"{HEALTH_HEADER}: {health}"] if health is not None else []),
        "Connection: close",
    ]
    if not all(line.isascii() and line.isprintable() for line in lines):
        raise ValueError("every header value must be printable ASCII (one line each)")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def string_to_sign(
    method: str,
    path: str,
    camera: str,
    counter: int,
    age: int,
    length: int,
    body_sha256: str,
    health: str = "",
) -> bytes:
    """The bytes the camera signs: method, path, id, counter, age, Content-Length, the body's
    hash and the Stopmotion-Health value as sent ("" without one), one a line."""
    fields = ["SM1", method, path, camera, str(counter), str(age), str(length), body_sha256,
              health]
    return "\n".join(fields).encode("ascii")


def sign(secret: bytes, message: bytes) -> str:
    """HMAC-SHA256 of the message as 64 lowercase hex digits."""
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def credential_value(camera: str, counter: int, age: int, signature: str) -> str:
    """The Authorization value that carries this credential."""
    return f"{SCHEME} Camera={camera}, Counter={counter}, Age={age}, Signature={signature}"


def authorization(
    secret: bytes,
    camera: str,
    counter: int,
    body: bytes,
    path: str = ROUTE,
    method: str = METHOD,
    age: int = 0,
    health: str | None = None,
) -> str:
    """The Authorization value a camera sends with body, captured age seconds before this attempt
    (0: just taken), and with this Stopmotion-Health value (None: no header); the firmware builds
    the same bytes. An empty body is a hello."""
    body_sha256 = hashlib.sha256(body).hexdigest()
    message = string_to_sign(method, path, camera, counter, age, len(body), body_sha256,
                             health or "")
    return credential_value(camera, counter, age, sign(secret, message))


def parse_authorization(header: str | None) -> CameraCredential:
    """The camera credential in an Authorization header; raises Missing/MalformedCredential, or
    Forbidden for a viewer's credential."""
    if not header:
        raise MissingCredential("missing Authorization header")
    if len(header) > MAX_HEADER_CHARS:
        raise MalformedCredential("Authorization header too long")
    if header.startswith(("Bearer ", "Basic ")):
        raise Forbidden("a viewer credential cannot post frames")
    match = _CAMERA_HEADER.fullmatch(header)
    if match is None:
        raise MalformedCredential(
            f"Authorization must be '{SCHEME} Camera=<id>, Counter=<n>, Age=<seconds>, "
            "Signature=<64 hex>'"
        )
    camera, counter, age, signature = match.groups()
    if int(counter) > MAX_COUNTER:
        raise MalformedCredential("Counter is larger than 32 bits")
    if int(age) > MAX_AGE_S:
        raise MalformedCredential(
            f"Age is {age} s, more than the {MAX_AGE_S} s ({MAX_AGE_S // 86400} days) a frame may "
            "be kept: send the seconds since the capture"
        )
    return CameraCredential(camera, int(counter), int(age), signature)


def one_health(values: Sequence[str]) -> str | None:
    """The request's Stopmotion-Health value among every value the gateway passed on (None
    without the header); MalformedHealth (400) when the header came more than once."""
    if len(values) > 1:
        raise MalformedHealth(f"{HEALTH_HEADER} came {len(values)} times: {HEALTH_ONCE}")
    return values[0] if values else None


def parse_health(value: str | None) -> dict[str, str]:
    """The tokens of a Stopmotion-Health value, in its order ({} without the header); raises
    MalformedHealth (400) for anything but the exact shape (HEALTH_FORMAT). A comma is what a
    proxy puts between the values of a header sent more than once: that message says so."""
    if value is None:
        return {}
    if "," in value:
        raise MalformedHealth(f"{HEALTH_HEADER} holds a comma, as a header sent more than once "
                              f"does once a proxy joins its values: {HEALTH_ONCE}; {HEALTH_FORMAT}")
    if len(value) > MAX_HEALTH_CHARS:
        raise MalformedHealth(f"{HEALTH_HEADER} is {len(value)} characters: {HEALTH_FORMAT}")
    tokens = value.split(" ")
    if len(tokens) > MAX_HEALTH_TOKENS:
        raise MalformedHealth(f"{HEALTH_HEADER} has {len(tokens)} tokens: {HEALTH_FORMAT}")
    fields: dict[str, str] = {}
    for token in tokens:
        match = _HEALTH_TOKEN.fullmatch(token)
        if match is None:
            raise MalformedHealth(f"{HEALTH_HEADER} token {token[:24]!r}: {HEALTH_FORMAT}")
        if match[1] in fields:
            raise MalformedHealth(f"{HEALTH_HEADER} names {match[1]!r} twice: {HEALTH_FORMAT}")
        fields[match[1]] = match[2]
    return fields


def health_value(fields: dict[str, object]) -> str:
    """The Stopmotion-Health value of these fields, in their order; ValueError out of format."""
    value = " ".join(f"{name}={field}" for name, field in fields.items())
    try:
        parse_health(value)
    except MalformedHealth as err:
        raise ValueError(str(err)) from None
    return value


def verify(
    credential: CameraCredential,
    secret: bytes | None,
    body: bytes,
    path: str = ROUTE,
    method: str = METHOD,
    health: str | None = None,
) -> str:
    """Checks the signature (over the body and the Stopmotion-Health value, None: absent) in
    constant time; returns the body's SHA-256 hex or raises Forbidden (also for an unknown
    camera, secret None, after as much work as a known one)."""
    body_sha256 = hashlib.sha256(body).hexdigest()
    message = string_to_sign(
        method, path, credential.camera, credential.counter, credential.age, len(body),
        body_sha256, health or "",
    )
    expected = sign(secret if secret is not None else _DUMMY_KEY, message)
    if not hmac.compare_digest(expected, credential.signature) or secret is None:
        raise Forbidden("unknown camera or bad signature")
    return body_sha256
