"""What can go wrong while ingesting a frame, each with the HTTP status it maps to."""

import logging

from chalice import ChaliceUnhandledError, Response

log = logging.getLogger(__name__)


class IngestError(ChaliceUnhandledError):
    """Base of the service's errors; each becomes a JSON error response like Chalice's own."""

    status = 400
    retry_after: int | None = None

    def response(self) -> Response:
        if self.status >= 500:  # our side failed: keep the cause for whoever reads the logs
            log.error("%s: %s (cause: %r)", type(self).__name__, self, self.__cause__)
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after else {}
        body = {"Code": type(self).__name__, "Message": str(self)}
        return Response(body=body, status_code=self.status, headers=headers)


class BadRequest(IngestError):
    """A query parameter or header is malformed; retrying the same request fails again."""


class LengthRequired(IngestError):
    """The body came without a Content-Length (chunked): it cannot be read whole, nor signed."""

    status = 411


class NotAJpeg(IngestError):
    """The body holds no usable JPEG (empty, no start of image, no frame header); nothing stored."""

    status = 422


class FrameTooLarge(IngestError):
    """The body is over MAX_FRAME_BYTES; nothing stored."""

    status = 413


class StorageUnavailable(IngestError):
    """S3 did not answer or refused for a passing reason; nothing stored, retrying is safe."""

    status = 503
    retry_after = 30
