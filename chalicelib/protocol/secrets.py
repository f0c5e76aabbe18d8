"""Where camera secrets, camera settings and the viewer token live, and the lines a camera's
config.h gets.

SSM Parameter Store (the deployed stage, path ssm_path(stage)), SecureString parameters:
    <path>/cameras/<camera id> = 64 hex digits (32-byte secret),   <path>/viewer = the token,
and, not secret, a String parameter per camera with settings:
    <path>/settings/<camera id> = {"schedule": "<schedule text, chalicelib/protocol/schedule.py>"}
The local file (var/secrets.json, git-ignored):
    {"cameras": {"<camera id>": "<64 hex digits>"}, "viewer": "<token>",
     "settings": {"<camera id>": {"schedule": "<schedule text>"}}}
Malformed entries are named in the log and skipped (a camera without a usable schedule gets
schedule.DEFAULT); secret values are never logged.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field

from chalicelib.protocol import schedule
from chalicelib.protocol.errors import SecretsUnavailable
from chalicelib.protocol.keys import CAMERA_ID
from chalicelib.protocol.schedule import Schedule

SECRET_BYTES = 32
CAMERAS, VIEWER = "cameras", "viewer"  # the file's members; also the SSM names below path
SETTINGS, SCHEDULE = "settings", "schedule"  # the settings member, and its key for the schedule
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Secrets:
    cameras: dict[str, bytes] = field(default_factory=dict)
    viewer: str | None = None
    schedules: dict[str, Schedule] = field(default_factory=dict)  # absent: schedule.DEFAULT


def ssm_path(stage: str) -> str:
    """The SSM path of a stage's secrets: `stopmotion camera add --ssm` writes there, `make
    deploy` passes it to the stack (infra.deploy), .chalice/ names it for `chalice deploy`."""
    return f"/stopmotion/{stage}"


def camera_parameter(path: str, camera: str) -> str:
    return f"{path.rstrip('/')}/{CAMERAS}/{camera}"


def settings_parameter(path: str, camera: str) -> str:
    return f"{path.rstrip('/')}/{SETTINGS}/{camera}"


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


def schedule_of(camera: str, settings: object) -> Schedule | None:
    """The schedule in one camera's settings ({"schedule": text}); None when there is none, and
    None, logged, when it is malformed."""
    if settings is None:
        return None  # already logged: a parameter that is not JSON
    text = settings.get(SCHEDULE) if isinstance(settings, dict) else settings
    if isinstance(settings, dict) and text is None:
        return None
    try:
        if not isinstance(settings, dict) or not isinstance(text, str):
            raise schedule.ScheduleError(f'settings must be {{"{SCHEDULE}": "<schedule text>"}}')
        return schedule.parse(text)
    except schedule.ScheduleError as err:
        log.warning("camera %r: schedule setting refused, using the default: %s", camera, err)
        return None


def parse_schedules(settings: dict[str, object]) -> dict[str, Schedule]:
    """Camera id -> its schedule, for the cameras whose settings hold a usable one."""
    found = {camera: schedule_of(camera, value) for camera, value in settings.items()}
    return {camera: s for camera, s in found.items() if s is not None}


def setting_from_parameter(camera: str, value: str) -> object:
    """One settings parameter's JSON; None, logged, when it is not JSON."""
    try:
        return json.loads(value)
    except ValueError:
        log.warning("camera %r: settings parameter is not JSON, using the defaults", camera)
        return None


def from_parameters(path: str, values: dict[str, str]) -> Secrets:
    """The secrets and settings among SSM parameters (name -> value) under path."""
    return Secrets(
        parse_cameras(_below(camera_parameter(path, ""), values)),
        values.get(viewer_parameter(path)) or None,
        parse_schedules({
            camera: setting_from_parameter(camera, value)
            for camera, value in _below(settings_parameter(path, ""), values).items()
        }),
    )


def _below(prefix: str, values: dict[str, str]) -> dict[str, str]:
    return {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}


def from_document(data: object, source: str) -> Secrets:
    """The secrets in the local file's JSON document; SecretsUnavailable naming source when it
    is not the file's shape."""
    cameras = data.get(CAMERAS, {}) if isinstance(data, dict) else None
    if not isinstance(cameras, dict):
        raise SecretsUnavailable(
            f"secrets file {source} is not {{'cameras': {{...}}, 'viewer': ...}}"
        )
    viewer = data.get(VIEWER)
    settings = data.get(SETTINGS, {})
    if not isinstance(settings, dict):
        log.warning("secrets file %s: %r is not an object, using the default settings", source,
                    SETTINGS)
        settings = {}
    return Secrets(
        parse_cameras(cameras),
        viewer if isinstance(viewer, str) and viewer else None,
        parse_schedules(settings),
    )


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
