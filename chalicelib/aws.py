"""How long the service waits for AWS (S3 and SSM): the timeouts and retries, decided here only.

Every request is answered within ANSWER_WITHIN_S, far inside API Gateway's 29 s. A call that gets
no answer (a frozen S3 takes the connection and says nothing) gives up after ATTEMPTS tries of at
most CONNECT_TIMEOUT_S + READ_TIMEOUT_S each, with botocore's backoff between them (under 1 s):
7 s. That failure ends the request with a 503 and Retry-After, which the camera retries; the calls
before it answered, in milliseconds. READ_TIMEOUT_S bounds each wait on the socket, not a whole
upload: a frame of several MB still streams to S3 as long as bytes keep moving. A call that fails
becomes the protocol's StorageUnavailable (or SecretsUnavailable) in `unavailable`, only there.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.protocol.errors import StorageUnavailable

ANSWER_WITHIN_S = 10
CONNECT_TIMEOUT_S = 1
READ_TIMEOUT_S = 2
ATTEMPTS = 2

CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_S,
    read_timeout=READ_TIMEOUT_S,
    retries={"mode": "standard", "total_max_attempts": ATTEMPTS},
)


def client(service: str, **config: Any) -> Any:
    """A boto3 client bound by CONFIG (plus config); region, credentials and endpoint from the env
    (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SSM point it at a local server)."""
    return boto3.session.Session().client(service, config=CONFIG.merge(Config(**config)))


@contextmanager
def unavailable(
    action: str, error: type[StorageUnavailable] = StorageUnavailable
) -> Iterator[None]:
    """Turns every failure of an AWS call inside into `error` (a 503, retrying is safe) that
    says what could not be done and keeps the botocore error as its cause (for the log)."""
    try:
        yield
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "unknown")
        raise error(f"storage refused to {action} ({code})") from err
    except BotoCoreError as err:
        raise error(f"storage unreachable, could not {action}") from err


def error_code(err: ClientError) -> str:
    """The code of an AWS error answer (NoSuchKey, 404, PreconditionFailed...)."""
    return str(err.response.get("Error", {}).get("Code", ""))
