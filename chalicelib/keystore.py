"""Camera secrets, camera settings and the viewer token, read from SSM Parameter Store in AWS (env
SECRETS_SSM_PATH) or from a JSON file locally (env SECRETS_FILE), in the layouts of
chalicelib/protocol/secrets.py. Read once, kept for TTL_SECONDS per container (the file: until it
changes). Values are never logged.
"""

import json
import os
import time
from pathlib import Path

from chalicelib import aws
from chalicelib.protocol import schedule, secrets
from chalicelib.protocol.errors import SecretsUnavailable
from chalicelib.protocol.schedule import Schedule
from chalicelib.protocol.secrets import Secrets

TTL_SECONDS = 60.0


def read_file(path: Path) -> Secrets:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise SecretsUnavailable(f"secrets file {path} unreadable: {type(err).__name__}") from err
    return secrets.from_document(data, str(path))


def read_ssm(ssm, path: str) -> Secrets:
    """Every parameter under path, decrypted, in as many pages as it takes."""
    prefix = path.rstrip("/")
    values = {}
    with aws.unavailable("read the secrets from SSM", SecretsUnavailable):
        pages = ssm.get_paginator("get_parameters_by_path").paginate(
            Path=prefix, Recursive=True, WithDecryption=True
        )
        for page in pages:
            values.update({p["Name"]: p["Value"] for p in page["Parameters"]})
    return secrets.from_parameters(prefix, values)


class KeyStore:
    """Cached access to the current Secrets; `get()` reloads after the TTL or a new version."""

    def __init__(self, load, ttl: float = TTL_SECONDS, version=lambda: None):
        self._load, self._ttl, self._version = load, ttl, version
        self._cached: Secrets | None = None
        self._loaded_at = 0.0
        self._loaded_version = None

    def get(self) -> Secrets:
        now = time.monotonic()
        version = self._version()
        if (
            self._cached is None
            or now - self._loaded_at > self._ttl
            or version != self._loaded_version
        ):
            self._cached, self._loaded_at, self._loaded_version = self._load(), now, version
        return self._cached

    def camera_secret(self, camera: str) -> bytes | None:
        return self.get().cameras.get(camera)

    def camera_schedule(self, camera: str) -> Schedule:
        """The camera's schedule; schedule.DEFAULT when it has none or a malformed one."""
        return self.get().schedules.get(camera, schedule.DEFAULT)

    def viewer_token(self) -> str | None:
        return self.get().viewer


def from_env(environ=os.environ, ssm_client=None) -> KeyStore:
    """The store the environment names: SECRETS_FILE, else SECRETS_SSM_PATH; neither: 503s."""
    if environ.get("SECRETS_FILE"):
        path = Path(environ["SECRETS_FILE"])

        def mtime():
            try:
                return path.stat().st_mtime_ns
            except OSError:
                return None

        return KeyStore(lambda: read_file(path), version=mtime)
    if environ.get("SECRETS_SSM_PATH"):
        if ssm_client is None:
            ssm_client = aws.client("ssm")
        return KeyStore(lambda: read_ssm(ssm_client, environ["SECRETS_SSM_PATH"]))

    def unconfigured() -> Secrets:
        raise SecretsUnavailable("neither SECRETS_FILE nor SECRETS_SSM_PATH is set")

    return KeyStore(unconfigured)
