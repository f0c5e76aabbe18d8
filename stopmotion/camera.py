"""`stopmotion camera`: add, rotate or remove a camera's secret, or the viewer token; print config
lines; set and show a camera's schedule; list every camera and how it is doing.

Locally the secrets live in a git-ignored JSON file (var/secrets.json, what `make run` reads); with
--ssm to SSM Parameter Store, SecureStrings under /stopmotion/<stage>/ (what the Lambda reads).
Schedules are settings beside the secrets (layout: chalicelib/protocol/secrets.py).
"""

import argparse
import json
import os
import secrets
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.protocol import schedule as schedules
from chalicelib.protocol import secrets as layout
from chalicelib.protocol import upload
from chalicelib.protocol.keys import CAMERA_ID
from chalicelib.protocol.secrets import firmware_lines, key_id, ssm_path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_FILE = PROJECT_DIR / "var" / "secrets.json"
DEMO_CAMERA = "demo"  # the camera `make run` makes, and that `stopmotion post` signs as there
SHOWN_CAPTURES = 5  # how many capture times `camera show` lists


class CameraError(Exception):
    """The command cannot do what was asked (camera exists, missing, bad id); nothing changed."""


def new_camera_secret() -> bytes:
    return secrets.token_bytes(layout.SECRET_BYTES)


def new_viewer_token() -> str:
    return secrets.token_urlsafe(32)


def write_json(path: Path, data: dict) -> None:
    """Replaces path with data as JSON in one step (never half written), mode 600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-")
    with os.fdopen(fd, "w") as out:  # mkstemp makes it 0600
        json.dump(data, out, indent=2, sort_keys=True)
        out.write("\n")
    os.replace(tmp, path)


class FileSecrets:
    """The local file (chalicelib/protocol/secrets.py), written atomically, mode 600."""

    def __init__(self, path: Path):
        self.path = path

    def load(self) -> dict:
        data = json.loads(self.path.read_text()) if self.path.exists() else {}
        data.setdefault(layout.CAMERAS, {})
        data.setdefault(layout.VIEWER, None)
        return data

    def save(self, data: dict) -> None:
        write_json(self.path, data)

    def set_camera(self, camera: str, secret: bytes, replace: bool) -> None:
        data = self.load()
        if (camera in data[layout.CAMERAS]) != replace:
            raise CameraError(_exists_message(camera, replace))
        data[layout.CAMERAS][camera] = secret.hex()
        self.save(data)

    def set_viewer(self, token: str) -> None:
        data = self.load()
        data[layout.VIEWER] = token
        self.save(data)

    def viewer(self) -> str | None:
        return self.load()[layout.VIEWER]

    def set_schedule(self, camera: str, text: str) -> None:
        data = self.load()
        if camera not in data[layout.CAMERAS]:
            raise CameraError(_exists_message(camera, replace=True))
        data.setdefault(layout.SETTINGS, {}).setdefault(camera, {})[layout.SCHEDULE] = text
        self.save(data)

    def remove_camera(self, camera: str) -> None:
        """The camera's secret and settings gone; CameraError when it does not exist."""
        data = self.load()
        if camera not in data[layout.CAMERAS]:
            raise CameraError(_exists_message(camera, replace=True))
        del data[layout.CAMERAS][camera]
        data.get(layout.SETTINGS, {}).pop(camera, None)
        self.save(data)

    def settings(self, camera: str) -> dict:
        """The camera's settings ({} when none); CameraError when the camera does not exist."""
        data = self.load()
        if camera not in data[layout.CAMERAS]:
            raise CameraError(_exists_message(camera, replace=True))
        settings = data.get(layout.SETTINGS, {}).get(camera, {})
        return settings if isinstance(settings, dict) else {}


class SsmSecrets:
    """The stage's SecureString parameters (chalicelib/protocol/secrets.py)."""

    def __init__(self, ssm, stage: str):
        self.ssm, self.path = ssm, ssm_path(stage)

    def set_camera(self, camera: str, secret: bytes, replace: bool) -> None:
        name = layout.camera_parameter(self.path, camera)
        try:
            self.ssm.get_parameter(Name=name)
            exists = True
        except self.ssm.exceptions.ParameterNotFound:
            exists = False
        if exists != replace:
            raise CameraError(_exists_message(camera, replace))
        self.ssm.put_parameter(
            Name=name,
            Value=secret.hex(),
            Type="SecureString",
            Overwrite=replace,
            Description=f"stop-motion camera {camera}: HMAC-SHA256 key (hex)",
        )

    def set_viewer(self, token: str) -> None:
        self.ssm.put_parameter(
            Name=layout.viewer_parameter(self.path),
            Value=token,
            Type="SecureString",
            Overwrite=True,
            Description="stop-motion viewer token (Authorization: Bearer)",
        )

    def viewer(self) -> str | None:
        try:
            return self.ssm.get_parameter(Name=layout.viewer_parameter(self.path),
                                          WithDecryption=True)[
                "Parameter"
            ]["Value"]
        except self.ssm.exceptions.ParameterNotFound:
            return None

    def set_schedule(self, camera: str, text: str) -> None:
        settings = self.settings(camera) | {layout.SCHEDULE: text}
        self.ssm.put_parameter(
            Name=layout.settings_parameter(self.path, camera),
            Value=json.dumps(settings, sort_keys=True),
            Type="String",  # not secret: readable in the console
            Overwrite=True,
            Description=f"stop-motion camera {camera}: settings (JSON)",
        )

    def remove_camera(self, camera: str) -> None:
        """Deletes the camera's secret and settings parameters; CameraError when it has none."""
        try:
            self.ssm.delete_parameter(Name=layout.camera_parameter(self.path, camera))
        except self.ssm.exceptions.ParameterNotFound:
            raise CameraError(_exists_message(camera, replace=True)) from None
        try:
            self.ssm.delete_parameter(Name=layout.settings_parameter(self.path, camera))
        except self.ssm.exceptions.ParameterNotFound:
            pass  # a camera without a schedule

    def settings(self, camera: str) -> dict:
        """The camera's settings ({} when none); CameraError when the camera does not exist."""
        try:
            self.ssm.get_parameter(Name=layout.camera_parameter(self.path, camera))
        except self.ssm.exceptions.ParameterNotFound:
            raise CameraError(_exists_message(camera, replace=True)) from None
        try:
            value = self.ssm.get_parameter(Name=layout.settings_parameter(self.path, camera))
        except self.ssm.exceptions.ParameterNotFound:
            return {}
        settings = layout.setting_from_parameter(camera, value["Parameter"]["Value"])
        return settings if isinstance(settings, dict) else {}


def _exists_message(camera: str, replace: bool) -> str:
    if replace:
        return f"camera {camera!r} does not exist; use `stopmotion camera add {camera}`"
    return f"camera {camera!r} already exists; use `stopmotion camera rotate {camera}`"


def next_counter(path: Path, name: str) -> int:
    """One more than the last counter handed out under name (the virtual camera's EEPROM)."""
    counters = json.loads(path.read_text()) if path.exists() else {}
    counters[name] = counters.get(name, 0) + 1
    write_json(path, counters)
    return counters[name]


def camera_secret(camera: str, secrets_file: Path, secret_hex: str | None = None) -> bytes | None:
    """The secret to sign as camera with: secret_hex, else the local secrets file's, else None."""
    if secret_hex:
        return bytes.fromhex(secret_hex)
    known = FileSecrets(secrets_file).load()[layout.CAMERAS].get(camera)
    return None if known is None else bytes.fromhex(known)


def sign_as_camera(
    camera: str,
    body: bytes,
    secrets_file: Path,
    secret_hex: str | None = None,
    counter: int | None = None,
    age: int = 0,
    health: str | None = None,
) -> str | None:
    """The Authorization value for a post by camera of a frame captured age seconds ago (with
    this Stopmotion-Health value, None: none), or None when no secret is known for it.

    The secret comes from camera_secret; the counter, unless given, from counters.json beside the
    secrets file (per camera and secret, so a rotated secret counts from 1).
    """
    secret = camera_secret(camera, secrets_file, secret_hex)
    if secret is None:
        return None
    if counter is None:
        counter = next_counter(
            secrets_file.with_name("counters.json"), f"{camera}/{key_id(secret)}"
        )
    return upload.authorization(secret, camera, counter, body, age=age, health=health)


def ensure_local(path: Path, camera: str = DEMO_CAMERA) -> tuple[bytes, str]:
    """Makes sure the local file has `camera` and a viewer token; returns (camera secret, token)."""
    store = FileSecrets(path)
    data = store.load()
    if camera not in data[layout.CAMERAS]:
        store.set_camera(camera, new_camera_secret(), replace=False)
    if not store.viewer():
        store.set_viewer(new_viewer_token())
    data = store.load()
    return bytes.fromhex(data[layout.CAMERAS][camera]), data[layout.VIEWER]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "camera",
        help="add, rotate, remove or list cameras, the viewer token; set and show a schedule",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=SCHEDULE_HELP,
    )
    parser.add_argument(
        "action",
        choices=["add", "rotate", "remove", "list", "viewer", "schedule", "show"],
        help="add/rotate/remove a camera, list every camera (last frame, frames in the last day, "
        "missed frames, last health), create/rotate (--rotate) the viewer token, set a camera's "
        "schedule, or show it with its next capture times",
    )
    parser.add_argument("camera", nargs="?", help="camera id: 1-32 of a-z, 0-9, '-'")
    parser.add_argument("words", nargs="*", help="schedule: the schedule (see below)")
    parser.add_argument(
        "--secrets-file",
        type=Path,
        default=DEFAULT_FILE,
        help=f"local secrets file (default {DEFAULT_FILE.relative_to(PROJECT_DIR)})",
    )
    parser.add_argument("--ssm", action="store_true", help="use SSM Parameter Store, not the file")
    parser.add_argument("--stage", default="dev", help="Chalice stage for --ssm (default dev)")
    parser.add_argument("--rotate", action="store_true", help="viewer: replace an existing token")
    parser.add_argument("--bucket", default=os.environ.get("FRAMES_BUCKET"),
                        help="list --ssm: the frames bucket (default $FRAMES_BUCKET); locally "
                        "the running `make run`'s")
    parser.set_defaults(func=run)


SCHEDULE_HELP = f"""\
Schedules: when the service tells the camera to take its next frame.

  stopmotion camera schedule ID WORDS... [--ssm --stage STAGE]   (options last)
  stopmotion camera show ID [--ssm --stage STAGE]   it and the next {SHOWN_CAPTURES} capture times

{schedules.HELP}
Examples:
  stopmotion camera schedule plant every 30m from sunrise+30m to sunset-30m \\
      tz Europe/Berlin lat 52.5 lon 13.4
  stopmotion camera schedule site every 15m from 07:00 to 18:00 on mon-fri tz Europe/London
  stopmotion camera schedule roof at 09:00,12:00,15:00
"""


def run(args: argparse.Namespace, ssm=None) -> int:
    if args.ssm:
        if ssm is None:
            import boto3

            ssm = boto3.client("ssm")
        store = SsmSecrets(ssm, args.stage)
        where = f"SSM {ssm_path(args.stage)}"
    else:
        store = FileSecrets(args.secrets_file)
        where = str(args.secrets_file)
    if args.words and args.action != "schedule":
        print(f"stopmotion camera: unexpected {' '.join(args.words)!r}", file=sys.stderr)
        return 2
    if args.action in ("schedule", "show"):
        return run_schedule(args, store, where)
    if args.action == "list":
        return run_list(args, ssm)
    try:
        if args.action == "viewer":
            token = store.viewer()
            if token is None or args.rotate:
                token = new_viewer_token()
                store.set_viewer(token)
            print(f"viewer token ({where}):\n  Authorization: Bearer {token}")
            return 0
        if not args.camera or not CAMERA_ID.fullmatch(args.camera):
            raise CameraError("camera id must be 1 to 32 of a-z, 0-9 and '-'")
        if args.action == "remove":
            store.remove_camera(args.camera)
            print(f"camera {args.camera} removed from {where}: its secret and settings are gone, "
                  "so the service refuses its uploads (in AWS within a minute: the Lambda's "
                  f"cache). Its frames stay in the bucket (frames/{args.camera}/); `stopmotion "
                  "camera list` still shows it, without a key id, and expects no frames of it.")
            return 0
        secret = new_camera_secret()
        store.set_camera(args.camera, secret, replace=args.action == "rotate")
    except CameraError as err:
        print(f"stopmotion camera: {err}")
        return 1
    except (BotoCoreError, ClientError) as err:
        print(f"stopmotion camera: SSM refused: {err}")
        return 1
    print(f"camera {args.camera} {'rotated' if args.action == 'rotate' else 'added'} in {where}.")
    print("Put these lines in firmware/include/config.h (git-ignored), then build and flash:\n")
    print(firmware_lines(camera=args.camera, secret=secret))
    if args.action == "rotate":
        print(
            "The old secret stops working (in AWS within a minute: the Lambda's cache); the "
            "camera's counter starts afresh with the new one."
        )
    return 0


def run_schedule(args: argparse.Namespace, store, where: str) -> int:
    """`camera schedule` (exit 2 for a schedule that does not parse) and `camera show`."""
    try:
        if not args.camera or not CAMERA_ID.fullmatch(args.camera):
            raise CameraError("camera id must be 1 to 32 of a-z, 0-9 and '-'")
        if args.action == "schedule":
            if not args.words:
                raise schedules.ScheduleError(
                    "give the schedule after the camera id, e.g. `stopmotion camera schedule "
                    f"{args.camera} at 09:00,12:00,15:00` (see --help)"
                )
            chosen = schedules.parse(" ".join(args.words))
            store.set_schedule(args.camera, str(chosen))
            print(f"camera {args.camera}: schedule set in {where}.")
        settings = store.settings(args.camera)
    except schedules.ScheduleError as err:
        print(f"stopmotion camera: {err}", file=sys.stderr)
        return 2
    except CameraError as err:
        print(f"stopmotion camera: {err}")
        return 1
    except (BotoCoreError, ClientError) as err:
        print(f"stopmotion camera: SSM refused: {err}")
        return 1
    print_schedule(args.camera, settings.get(layout.SCHEDULE))
    if args.action == "schedule":
        print("The camera follows it once its firmware asks the service when to capture.")
    return 0


def print_schedule(camera: str, text: str | None) -> None:
    """The schedule's text form and its next capture times, in its zone and in UTC."""
    if text is None:
        chosen, note = schedules.DEFAULT, " (the default: no schedule set)"
    else:
        try:
            chosen, note = schedules.parse(text), ""
        except schedules.ScheduleError as err:
            chosen = schedules.DEFAULT
            note = f" (the default: the stored schedule {text!r} is refused: {err})"
    print(f"camera {camera}: {chosen}{note}")
    print(f"next {SHOWN_CAPTURES} captures:")
    for moment in schedules.next_captures(chosen, datetime.now(UTC), SHOWN_CAPTURES):
        local = moment.astimezone(chosen.tz)
        print(f"  {local:%Y-%m-%d %H:%M %Z (%a)}  {moment:%Y-%m-%d %H:%M} UTC")


def run_list(args: argparse.Namespace, ssm=None, s3=None) -> int:
    """`camera list`: every camera (in the secrets or with frames) and how it is doing, as the
    service's GET /cameras sees it (chalicelib/fleet.py), from the secrets and the bucket."""
    from chalicelib import fleet, keystore
    from chalicelib.protocol.errors import ProtocolError
    from chalicelib.storage import FrameStore
    from stopmotion import localstack, pull

    try:
        if args.ssm:
            bucket = getattr(args, "bucket", None)
            if not bucket:
                raise CameraError("name the frames bucket with --bucket or FRAMES_BUCKET")
            known = keystore.read_ssm(ssm, ssm_path(args.stage))
            if s3 is None:
                import boto3

                s3 = boto3.client("s3")
        else:
            state_file = args.secrets_file.with_name(localstack.STATE_NAME)
            stack = localstack.running_stack(state_file)
            if stack is None:
                raise CameraError(f"no `make run` is running ({state_file} names none): start "
                                  "it, or list the deployed cameras with --ssm --stage STAGE")
            known = keystore.read_file(args.secrets_file)
            bucket = stack["bucket"]
            s3 = s3 or pull.make_client(stack["s3_endpoint"], fleet.WORKERS, local=True)
        reports = fleet.check(FrameStore(s3, bucket), known, fleet.now())
    except CameraError as err:
        print(f"stopmotion camera: {err}", file=sys.stderr)
        return 1
    except ProtocolError as err:
        print(f"stopmotion camera: {err}", file=sys.stderr)
        return 1
    print_cameras(reports)
    return 0


def print_cameras(reports) -> None:
    """One line per camera, and one more naming its trouble when it has some."""
    print(f"{'CAMERA':<20} {'KEY ID':<8} {'LAST FRAME (UTC)':<28} {'LAST DAY':>8} "
          f"{'MISSED':>7}  LAST HEALTH")
    for found in reports:
        last = "never"
        if found.last_captured:
            last = f"{found.last_captured:%Y-%m-%d %H:%M} ({found.last_seen_hours:.1f} h ago)"
        health = " ".join(f"{k}={v}" for k, v in (found.health or {}).items()) or "-"
        print(f"{found.camera:<20} {found.key_id or 'removed':<8} {last:<28} "
              f"{found.frames_today:>8} {f'{found.missed}/{found.expected}':>7}  {health}")
        if found.trouble:
            print(f"{'':<20} trouble: {'; '.join(found.trouble)}")
    troubled = sum(1 for found in reports if found.trouble)
    print(f"{len(reports)} camera{'' if len(reports) == 1 else 's'}, {troubled} in trouble")
