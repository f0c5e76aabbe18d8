"""Who may write and who may read: the camera's signed credential and the viewer's token.

A camera sends
    Authorization: SM1-HMAC-SHA256 Camera=<id>, Counter=<decimal>, Signature=<64 lowercase hex>
where Signature = HMAC-SHA256(secret, string_to_sign(...)). A viewer sends
    Authorization: Bearer <token>    (or HTTP Basic with the token as password, for browsers).
Parsing is strict and bounded: anything but the exact shape is a MalformedCredential.
"""

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from chalicelib.errors import IngestError
from chalicelib.naming import CAMERA_ID

SCHEME = "SM1-HMAC-SHA256"
MAX_HEADER_CHARS = 256  # the longest well-formed camera header is 151 characters
MAX_COUNTER = 2**32 - 1  # the camera keeps a 32-bit counter in EEPROM
_CAMERA_HEADER = re.compile(
    rf"{SCHEME} Camera=({CAMERA_ID.pattern}), Counter=(0|[1-9][0-9]{{0,9}}), "
    r"Signature=([0-9a-f]{64})"
)
_DUMMY_KEY = bytes(32)  # keeps an unknown camera as slow as a known one


CAMERA_CHALLENGE = f'{SCHEME} realm="stopmotion"'
VIEWER_CHALLENGE = 'Basic realm="stopmotion", charset="UTF-8"'  # a browser then asks for the token


class AuthError(IngestError):
    """No usable credential; the client must send one (retrying the same request fails again)."""

    status = 401
    challenge = CAMERA_CHALLENGE  # WWW-Authenticate of a 401: which credential to send

    def response(self):
        response = super().response()
        if self.status == 401:
            response.headers["WWW-Authenticate"] = self.challenge
        return response


class MissingCredential(AuthError):
    """The request carries no Authorization header."""


class MalformedCredential(AuthError):
    """The Authorization header is not in the expected shape."""


class Forbidden(AuthError):
    """The credential is well formed but not accepted: unknown camera, bad signature, wrong role."""

    status = 403


class Replayed(Forbidden):
    """The counter was already used for a different body; the request is refused, nothing stored."""


class Stale(Forbidden):
    """The counter is below one the camera already used; refused, nothing stored."""


@dataclass(frozen=True)
class CameraCredential:
    camera: str
    counter: int
    signature: str


def parse_camera(header: str | None) -> CameraCredential:
    """The camera credential in an Authorization header; raises Missing/MalformedCredential."""
    if not header:
        raise MissingCredential("missing Authorization header")
    if len(header) > MAX_HEADER_CHARS:
        raise MalformedCredential("Authorization header too long")
    if header.startswith(("Bearer ", "Basic ")):
        raise Forbidden("a viewer credential cannot post frames")
    match = _CAMERA_HEADER.fullmatch(header)
    if match is None:
        raise MalformedCredential(
            f"Authorization must be '{SCHEME} Camera=<id>, Counter=<n>, Signature=<64 hex>'"
        )
    camera, counter, signature = match.groups()
    if int(counter) > MAX_COUNTER:
        raise MalformedCredential("Counter is larger than 32 bits")
    return CameraCredential(camera, int(counter), signature)


def string_to_sign(
    method: str, path: str, camera: str, counter: int, length: int, body_sha256: str
) -> bytes:
    """The bytes the camera signs: method, path, id, counter, Content-Length and the body's hash."""
    fields = ["SM1", method, path, camera, str(counter), str(length), body_sha256]
    return "\n".join(fields).encode("ascii")


def sign(secret: bytes, message: bytes) -> str:
    """HMAC-SHA256 of the message as 64 lowercase hex digits."""
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def camera_authorization(
    secret: bytes,
    camera: str,
    counter: int,
    body: bytes,
    path: str = "/frames",
    method: str = "POST",
) -> str:
    """The Authorization value a camera sends with body (the firmware builds the same bytes)."""
    body_sha256 = hashlib.sha256(body).hexdigest()
    message = string_to_sign(method, path, camera, counter, len(body), body_sha256)
    return f"{SCHEME} Camera={camera}, Counter={counter}, Signature={sign(secret, message)}"


def verify_camera(
    credential: CameraCredential, secret: bytes | None, method: str, path: str, body: bytes
) -> str:
    """Checks the signature in constant time; returns the body's SHA-256 hex or raises Forbidden."""
    body_sha256 = hashlib.sha256(body).hexdigest()
    message = string_to_sign(
        method, path, credential.camera, credential.counter, len(body), body_sha256
    )
    expected = sign(secret if secret is not None else _DUMMY_KEY, message)
    if not hmac.compare_digest(expected, credential.signature) or secret is None:
        raise Forbidden("unknown camera or bad signature")
    return body_sha256


def viewer_token_from(header: str | None) -> str:
    """The token in 'Bearer <token>' or in the password of 'Basic <base64 user:token>'."""
    if not header:
        raise MissingCredential("missing Authorization header (viewer token)")
    if len(header) > MAX_HEADER_CHARS:
        raise MalformedCredential("Authorization header too long")
    scheme, _, value = header.partition(" ")
    if scheme == SCHEME:
        raise Forbidden("a camera credential cannot read frames")
    if scheme == "Bearer" and value:
        return value
    if scheme == "Basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except ValueError:  # binascii.Error, non-ASCII text, UnicodeDecodeError
            raise MalformedCredential("Basic credential is not base64 of user:token") from None
        _, colon, password = decoded.partition(":")
        if colon and password:
            return password
    raise MalformedCredential("Authorization must be 'Bearer <viewer token>'")


def verify_viewer(header: str | None, token: str | None) -> None:
    """Raises unless the header carries the viewer token (compared in constant time)."""
    try:
        given = viewer_token_from(header)
    except AuthError as err:
        err.challenge = VIEWER_CHALLENGE
        raise
    if token is None or not hmac.compare_digest(_utf8(given), _utf8(token)):
        raise Forbidden("not a viewer credential")


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # header text may hold any code point


def key_id(secret: bytes) -> str:
    """A short public name for a secret: a new secret starts a new counter space for the camera."""
    return hashlib.sha256(b"SM1 key id\n" + secret).hexdigest()[:8]
