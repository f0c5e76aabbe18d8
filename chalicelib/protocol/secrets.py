"""Where camera secrets and the viewer token live, and the lines a camera's config.h gets.

SSM Parameter Store (the deployed stage, path ssm_path(stage)), SecureString parameters:
    <path>/cameras/<camera id> = 64 hex digits (32-byte secret),   <path>/viewer = the token.
The local file (var/secrets.json, git-ignored):
    {"cameras": {"<camera id>": "<64 hex digits>"}, "viewer": "<token>"}
Malformed entries are named in the log and skipped; values are never logged.
"""

import hashlib
import logging
from dataclasses import dataclass, field

from chalicelib.protocol.errors import SecretsUnavailable
from chalicelib.protocol.keys import CAMERA_ID

SECRET_BYTES = 32
CAMERAS, VIEWER = "cameras", "viewer"  # the file's two members; also the SSM names below path
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Secrets:
    cameras: dict[str, bytes] = field(default_factory=dict)
    viewer: str | None = None


def ssm_path(stage: str) -> str:
    """The SSM path of a stage's secrets: `stopmotion camera add --ssm` writes there, `make
    deploy` passes it to the stack (infra.deploy), .chalice/ names it for `chalice deploy`."""
    return f"/stopmotion/{stage}"


def camera_parameter(path: str, camera: str) -> str:
    return f"{path.rstrip('/')}/{CAMERAS}/{camera}"


def viewer_parameter(path: str) -> str:
    return f"{path.rstrip('/')}/{VIEWER}"


def key_id(secret: bytes) -> str:
    """A short public name for a secret: a new secret starts a new counter space for the camera."""
    return hashlib.sha256(b"SM1 key id\n" + secret).hexdigest()[:8]


def parse_cameras(values: dict[str, str]) -> dict[str, bytes]:
    """Camera id -> 32-byte secret; bad entries are skipped (named in the log, never shown)."""
    cameras = {}
    for camera, text in values.items():
        try:
            secret = bytes.fromhex(text)
        except (TypeError, ValueError):
            secret = b""
        if CAMERA_ID.fullmatch(camera) and len(secret) == SECRET_BYTES:
            cameras[camera] = secret
        else:
            log.warning("ignoring camera %r: id or secret malformed", camera)
    return cameras


def from_parameters(path: str, values: dict[str, str]) -> Secrets:
    """The secrets among SSM parameters (name -> value) under path."""
    camera_prefix = camera_parameter(path, "")
    cameras = {k[len(camera_prefix) :]: v for k, v in values.items() if k.startswith(camera_prefix)}
    return Secrets(parse_cameras(cameras), values.get(viewer_parameter(path)) or None)


def from_document(data: object, source: str) -> Secrets:
    """The secrets in the local file's JSON document; SecretsUnavailable naming source when it
    is not the file's shape."""
    cameras = data.get(CAMERAS, {}) if isinstance(data, dict) else None
    if not isinstance(cameras, dict):
        raise SecretsUnavailable(
            f"secrets file {source} is not {{'cameras': {{...}}, 'viewer': ...}}"
        )
    viewer = data.get(VIEWER)
    return Secrets(parse_cameras(cameras), viewer if isinstance(viewer, str) and viewer else None)


def firmware_lines(
    camera: str | None = None, secret: bytes | None = None, host: str | None = None,
    path: str | None = None,
) -> str:
    """The #define lines for firmware/include/config.h (the git-ignored real config) that set what
    is given: the front door's host and path (port 80: the camera speaks plain HTTP to CloudFront),
    the camera's id and its secret. firmware/include/config.example.h documents each setting."""
    lines = []
    if host is not None:
        lines += [f'#define CONFIG_HOST "{host}"', "#define CONFIG_PORT 80"]
    if path is not None:
        lines.append(f'#define CONFIG_PATH "{path}"')
    if camera is not None:
        lines.append(f'#define CONFIG_CAMERA_ID "{camera}"')
    if secret is not None:
        body = ", ".join(f"0x{b:02x}" for b in secret)
        lines.append(f"#define CONFIG_CAMERA_SECRET {{{body}}}  // key id {key_id(secret)}")
    return "".join(line + "\n" for line in lines)
