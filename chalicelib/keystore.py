"""Camera secrets and the viewer token: from SSM Parameter Store in AWS, from a JSON file locally.

SSM (env SECRETS_SSM_PATH, e.g. /stopmotion/dev): SecureString parameters
    <path>/cameras/<camera id> = 64 hex digits (32-byte secret),   <path>/viewer = the viewer token.
File (env SECRETS_FILE, e.g. var/secrets.json, git-ignored):
    {"cameras": {"<camera id>": "<64 hex digits>"}, "viewer": "<token>"}
Read once, kept for TTL_SECONDS per container (the file: until it changes). Values are never logged.
"""

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.errors import IngestError
from chalicelib.naming import CAMERA_ID

TTL_SECONDS = 60.0
log = logging.getLogger(__name__)


class SecretsUnavailable(IngestError):
    """The secret store could not be read; nothing stored, retrying is safe."""

    status = 503
    retry_after = 30


@dataclass(frozen=True)
class Secrets:
    cameras: dict[str, bytes] = field(default_factory=dict)
    viewer: str | None = None


def parse_cameras(values: dict[str, str]) -> dict[str, bytes]:
    """Camera id -> 32-byte secret; bad entries are skipped (named in the log, never shown)."""
    cameras = {}
    for camera, text in values.items():
        try:
            secret = bytes.fromhex(text)
        except (TypeError, ValueError):
            secret = b""
        if CAMERA_ID.fullmatch(camera) and len(secret) == 32:
            cameras[camera] = secret
        else:
            log.warning("ignoring camera %r: id or secret malformed", camera)
    return cameras


def read_file(path: Path) -> Secrets:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise SecretsUnavailable(f"secrets file {path} unreadable: {type(err).__name__}") from None
    cameras = data.get("cameras", {}) if isinstance(data, dict) else None
    if not isinstance(cameras, dict):
        raise SecretsUnavailable(
            f"secrets file {path} is not {{'cameras': {{...}}, 'viewer': ...}}"
        )
    viewer = data.get("viewer")
    return Secrets(parse_cameras(cameras), viewer if isinstance(viewer, str) and viewer else None)


def read_ssm(ssm, path: str) -> Secrets:
    """Every parameter under path, decrypted, in as many pages as it takes."""
    prefix = path.rstrip("/")
    values = {}
    try:
        pages = ssm.get_paginator("get_parameters_by_path").paginate(
            Path=prefix, Recursive=True, WithDecryption=True
        )
        for page in pages:
            values.update({p["Name"]: p["Value"] for p in page["Parameters"]})
    except Exception as err:  # botocore's errors: throttled, denied, network
        raise SecretsUnavailable(f"SSM parameters unreadable: {type(err).__name__}") from None
    camera_prefix = f"{prefix}/cameras/"
    cameras = {k[len(camera_prefix) :]: v for k, v in values.items() if k.startswith(camera_prefix)}
    return Secrets(parse_cameras(cameras), values.get(f"{prefix}/viewer") or None)


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
            from chalicelib import aws

            ssm_client = aws.client("ssm")
        return KeyStore(lambda: read_ssm(ssm_client, environ["SECRETS_SSM_PATH"]))

    def unconfigured() -> Secrets:
        raise SecretsUnavailable("neither SECRETS_FILE nor SECRETS_SSM_PATH is set")

    return KeyStore(unconfigured)
