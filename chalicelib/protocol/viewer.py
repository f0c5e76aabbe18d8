"""The viewer's credential on reads: `Authorization: Bearer <token>`, or HTTP Basic with the token
as password (what a browser sends after a 401 with CHALLENGE)."""

import base64
import hmac

from chalicelib.protocol.errors import Forbidden, MalformedCredential, MissingCredential
from chalicelib.protocol.upload import MAX_HEADER_CHARS, SCHEME

CHALLENGE = 'Basic realm="stopmotion", charset="UTF-8"'  # a browser then asks for the token


def token_from(header: str | None) -> str:
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
        except ValueError as err:  # binascii.Error, non-ASCII text, UnicodeDecodeError
            raise MalformedCredential("Basic credential is not base64 of user:token") from err
        _, colon, password = decoded.partition(":")
        if colon and password:
            return password
    raise MalformedCredential("Authorization must be 'Bearer <viewer token>'")


def verify(header: str | None, token: str | None) -> None:
    """Raises unless the header carries the viewer token (compared in constant time)."""
    given = token_from(header)
    if token is None or not hmac.compare_digest(_utf8(given), _utf8(token)):
        raise Forbidden("not a viewer credential")


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # header text may hold any code point
