"""`stopmotion serve` (= `make run`): the ingest service and its S3 server on this machine."""

import argparse
import os
import signal
from pathlib import Path

from stopmotion.localstack import PROJECT_DIR, LocalStack

SAMPLE = PROJECT_DIR / "samples" / "frame.jpg"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="run the ingest service locally (chalice local + rclone S3 server)"
    )
    parser.add_argument("--port", type=int, default=8000, help="API port (default 8000)")
    parser.add_argument("--s3-port", type=int, default=9000, help="S3 port (default 9000)")
    parser.add_argument(
        "--data-dir", type=Path, default=PROJECT_DIR / "var", help="where frames land (var/)"
    )
    parser.set_defaults(func=serve)


def _shown(path: Path) -> str:
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else relative


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(args: argparse.Namespace) -> int:
    # Ctrl-C, and `kill`, stop the servers; also when started where SIGINT is ignored (`... &`).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with LocalStack(args.data_dir, args.port, args.s3_port) as stack:
            print(
                f"\nIngest API  {stack.api_url}   (S3 server {stack.s3_endpoint}, "
                f"bucket {stack.bucket})\n"
                f"Frames land in {_shown(stack.data_dir / stack.bucket / 'frames')}/"
                "<camera>/<YYYY>/<MM>/<DD>/\n\n"
                "Post the sample frame:\n"
                f"  curl -sS -H 'Content-Type: image/jpeg' -H 'X-Camera-Id: demo' "
                f"--data-binary @{_shown(SAMPLE)} {stack.api_url}/frames\n\n"
                "Ctrl-C stops both servers.\n",
                flush=True,
            )
            status = stack.wait()
            print(f"a server exited with status {status}; stopping")
            return 1
    except KeyboardInterrupt:
        print("\nstopped")
        return 0
