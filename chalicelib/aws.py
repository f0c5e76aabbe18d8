"""How long the service waits for AWS (S3 and SSM): the timeouts and retries, decided here only.

Every request is answered within ANSWER_WITHIN_S, far inside API Gateway's 29 s. A call that gets
no answer (a frozen S3 takes the connection and says nothing) gives up after ATTEMPTS tries of at
most CONNECT_TIMEOUT_S + READ_TIMEOUT_S each, with botocore's backoff between them (under 1 s):
7 s. That failure ends the request with a 503 and Retry-After, which the camera retries; the calls
before it answered, in milliseconds. READ_TIMEOUT_S bounds each wait on the socket, not a whole
upload: a frame of several MB still streams to S3 as long as bytes keep moving.
"""

from typing import Any

import boto3
from botocore.config import Config

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
