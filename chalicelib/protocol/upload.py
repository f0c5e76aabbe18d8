"""The camera's upload: one signed HTTP/1.1 POST of a JPEG, built the way the firmware builds it.

The head, in the firmware's order (firmware/lib/http/http_request.cpp):
    POST <path> HTTP/1.1 / Host / User-Agent: stopmotion-cam/<version> / Content-Type /
    Content-Length / Authorization / Connection: close
Authorization: SM1-HMAC-SHA256 Camera=<id>, Counter=<decimal>, Age=<decimal seconds>,
    Signature=<64 lowercase hex>
(one line) where Signature = HMAC-SHA256(secret, string_to_sign(...)) and Age is the whole
seconds from the frame's capture to this attempt: a camera keeps a frame for hours or days when the
service cannot be reached, and every attempt signs its own age (the counter and body stay), so the
service dates the frame by its capture. Parsing is strict and bounded: anything but the exact shape
is a MalformedCredential.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass

from chalicelib.protocol.errors import Forbidden, MalformedCredential, MissingCredential
from chalicelib.protocol.keys import CAMERA_ID

ROUTE = "/frames"  # the route the camera signs, whatever prefix a proxy adds in front of it
METHOD = "POST"
CONTENT_TYPES = ("image/jpeg", "application/octet-stream")  # what the service accepts
FIRMWARE_VERSION = "0.1.0"  # firmware/include/camera_config.h says the same
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
) -> bytes:
    """The exact bytes of the camera's request head, up to and including the blank line; host is
    the Host header's value (with ":<port>" unless 80). Raises ValueError for a value that is not
    printable ASCII (it would not be one header line)."""
    lines = [
        f"{METHOD} {path} HTTP/1.1",
        f"Host: {host}",
        f"User-Agent: {user_agent}",
        f"Content-Type: {content_type}",
        f"Content-Length: {length}",
        *([f"Authorization: {authorization}"] if authorization else []),
        "Connection: close",
    ]
    if not all(line.isascii() and line.isprintable() for line in lines):
        raise ValueError("every header value must be printable ASCII (one line each)")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def string_to_sign(
    method: str, path: str, camera: str, counter: int, age: int, length: int, body_sha256: str
) -> bytes:
    """The bytes the camera signs: method, path, id, counter, age, Content-Length and the body's
    hash, one a line."""
    fields = ["SM1", method, path, camera, str(counter), str(age), str(length), body_sha256]
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
) -> str:
    """The Authorization value a camera sends with body, captured age seconds before this attempt
    (0: just taken); the firmware builds the same bytes."""
    body_sha256 = hashlib.sha256(body).hexdigest()
    message = string_to_sign(method, path, camera, counter, age, len(body), body_sha256)
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


def verify(
    credential: CameraCredential,
    secret: bytes | None,
    body: bytes,
    path: str = ROUTE,
    method: str = METHOD,
) -> str:
    """Checks the signature in constant time; returns the body's SHA-256 hex or raises Forbidden
    (also for an unknown camera, secret None, after as much work as a known one)."""
    body_sha256 = hashlib.sha256(body).hexdigest()
    message = string_to_sign(
        method, path, credential.camera, credential.counter, credential.age, len(body),
        body_sha256,
    )
    expected = sign(secret if secret is not None else _DUMMY_KEY, message)
    if not hmac.compare_digest(expected, credential.signature) or secret is None:
        raise Forbidden("unknown camera or bad signature")
    return body_sha256
