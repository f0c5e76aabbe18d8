"""Everything that can go wrong in the protocol, under ProtocolError, as plain data.

Each error says what went wrong (its docstring), whether the same request may succeed later
(`retry_safe`), the HTTP status it answers with (`status`) and, for a passing failure, how many
seconds the client should wait (`retry_after`). app.py turns them into HTTP answers; nothing
here knows a web framework.
"""


class ProtocolError(Exception):
    """Base of the protocol's errors: the request was refused and nothing was stored."""

    status: int = 400
    retry_safe: bool = False
    retry_after: int | None = None


class BadRequest(ProtocolError):
    """A query parameter or header is malformed; the same request fails again."""


class MalformedHealth(BadRequest):
    """The Stopmotion-Health header is not in the protocol's shape; the same request fails again."""


class LengthRequired(ProtocolError):
    """The body came without a Content-Length (chunked); the same request fails again."""

    status = 411


class FrameTooLarge(ProtocolError):
    """The body is over the service's frame size limit; the same request fails again."""

    status = 413


class RangeTooLarge(ProtocolError):
    """The frames asked for are more than one answer may carry; the same request fails again."""

    status = 413


class NotFound(ProtocolError):
    """There is no such frame (or no frame in the range asked for); fails again until one comes."""

    status = 404


class NotAJpeg(ProtocolError):
    """The body holds no usable JPEG (empty, no start of image, no frame header); fails again."""

    status = 422


class AuthError(ProtocolError):
    """No usable credential: the client must send one; the same request fails again."""

    status = 401


class MissingCredential(AuthError):
    """The request carries no Authorization header; the same request fails again."""


class MalformedCredential(AuthError):
    """The Authorization header is not in the expected shape; the same request fails again."""


class Forbidden(AuthError):
    """A well-formed credential refused: unknown camera, bad signature, wrong role; fails again."""

    status = 403


class Replayed(Forbidden):
    """The counter was already used for another frame (or one deleted since); fails again."""


class Stale(Forbidden):
    """The counter is below one the camera already used; fails again."""


class StorageUnavailable(ProtocolError):
    """The frames bucket did not answer or refused for a passing reason; retrying is safe."""

    status = 503
    retry_safe = True
    retry_after = 30


class SecretsUnavailable(StorageUnavailable):
    """The secret store (SSM or the local file) could not be read; retrying is safe."""


class UnsignedAnswer(ProtocolError):
    """The answer has no well-formed Stopmotion-Answer: not the service's; retrying is safe."""

    status = 502  # what a gateway says of an upstream answer it cannot use
    retry_safe = True


class ForgedAnswer(UnsignedAnswer):
    """An answer whose Stopmotion-Answer does not verify for this request; retrying is safe."""
