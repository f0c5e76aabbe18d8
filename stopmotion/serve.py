"""`stopmotion serve` (= `make run`): the ingest service and its S3 server on this machine."""

import argparse
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.protocol import upload
from stopmotion.camera import DEFAULT_FILE as DEFAULT_SECRETS
from stopmotion.camera import DEMO_CAMERA, ensure_local, sign_as_camera
from stopmotion.localstack import DEFAULT_STATE_FILE, PROJECT_DIR, LocalStack, StackError

SAMPLE = PROJECT_DIR / "samples" / "frame.jpg"
MAX_RESTARTS = 3  # of a server that dies while serving, in one `make run`


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="run the ingest service locally (chalice local + rclone S3 server)"
    )
    parser.add_argument("--port", type=int, default=8000, help="API port (default 8000)")
    parser.add_argument("--s3-port", type=int, default=9000, help="S3 port (default 9000)")
    parser.add_argument(
        "--data-dir", type=Path, default=PROJECT_DIR / "var", help="where frames land (var/)"
    )
    parser.add_argument(
        "--clock", type=_start_time, metavar="ISO-TIME",
        help="start the service's clock at this time (e.g. 2026-12-01T08:59:30Z; UTC unless a "
        "zone is given) and let it run from there: try a camera's schedule without waiting",
    )
    parser.set_defaults(func=serve)


def _start_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO-8601 time: write e.g. 2026-12-01T08:59:30Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _shown(path: Path) -> str:
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else relative


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def instructions(stack: LocalStack, camera: str = DEMO_CAMERA) -> str:
    """What to do with the running stack: where frames land and the commands to try."""
    _, viewer_token = ensure_local(stack.secrets_file, camera)
    sample = SAMPLE.read_bytes()
    authorization = sign_as_camera(camera, sample, stack.secrets_file)
    counter = upload.parse_authorization(authorization).counter
    # post and pull find this stack through its state file: name it only when not the default
    stack_option = ("" if stack.state_file == DEFAULT_STATE_FILE
                    else f" --stack-file {_shown(stack.state_file)}")
    return (
        f"\nIngest API  {stack.api_url}   (S3 server {stack.s3_endpoint}, bucket {stack.bucket})\n"
        f"Frames land in {_shown(stack.data_dir / stack.bucket / 'frames')}/"
        "<camera>/<YYYY>/<MM>/<DD>/\n\n"
        f"Post the sample frame as camera {camera!r}, signed with its secret from "
        f"{_shown(stack.secrets_file)} and counter {counter}\n"
        "(the same line again is a retry: 200 and the same key):\n"
        f"  curl -sS -H 'Content-Type: image/jpeg' -H 'Authorization: {authorization}' "
        f"--data-binary @{_shown(SAMPLE)} {stack.api_url}{upload.ROUTE}\n\n"
        "Post any JPEG as that camera, signed with the next counter:\n"
        f"  .venv/bin/stopmotion post {_shown(SAMPLE)}{stack_option}\n\n"
        "Copy the frames into a folder:\n"
        f"  .venv/bin/stopmotion pull film/ --local{stack_option}\n\n"
        "A board posting here gets an id and secret of its own (its EEPROM counter must not\n"
        "share a counter space with the demo camera); this prints its config.h lines:\n"
        f"  .venv/bin/stopmotion camera add <board-id>"
        + (f" --secrets-file {_shown(stack.secrets_file)}" if stack.secrets_file != DEFAULT_SECRETS
           else "")
        + "\n\nList the frames (reads need the viewer token):\n"
        f"  curl -sS -H 'Authorization: Bearer {viewer_token}' {stack.api_url}/frames\n\n"
        f"Watch them in a browser: {stack.api_url}/preview\n"
        f"(it asks for a password: any user name, and the viewer token {viewer_token})\n\n"
        "Ctrl-C stops both servers.\n"
    )


def serve(args: argparse.Namespace) -> int:
    # Ctrl-C, and `kill`, stop the servers; also when started where SIGINT is ignored (`... &`).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with LocalStack(args.data_dir, args.port, args.s3_port,
                        clock_start=getattr(args, "clock", None)) as stack:
            if stack.clock_start is not None:
                started = stack.clock_start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
                print(f"The service's clock started at {started} UTC and runs from there "
                      f"(its offset is in {_shown(stack.clock_file)})", flush=True)
            print(instructions(stack), flush=True)
            for restart in range(1, MAX_RESTARTS + 1):
                died = stack.wait()
                print(f"{died.name} exited with status {died.process.returncode}; restarting it "
                      f"({restart} of {MAX_RESTARTS}){died.last_output()}", flush=True)
                stack.launch(died)
                print(f"{died.name} is back", flush=True)
            died = stack.wait()
            raise StackError(f"{died.name} exited with status {died.process.returncode} after "
                             f"{MAX_RESTARTS} restarts; stopping{died.last_output()}")
    except StackError as error:
        print(f"stopmotion serve: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopped")
        return 0
