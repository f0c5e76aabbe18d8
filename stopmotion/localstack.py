"""The service on this machine: `rclone serve s3` plus `chalice local`, both on 127.0.0.1.

    with LocalStack(data_dir) as stack:
        requests go to stack.api_url; frames land under data_dir/<bucket>/frames/...
        stack.set_clock(3600)  # the service's clock an hour ahead of this machine's

The service's clock (chalicelib/clock.py) reads its offset from data_dir/clock, which the stack
always names to chalice local; a new stack starts on this machine's time, or at `clock_start`.
"""

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import boto3
from botocore.config import Config

from chalicelib import clock
from stopmotion.camera import DEFAULT_FILE as DEFAULT_SECRETS
from stopmotion.camera import DEMO_CAMERA, ensure_local, write_json

PROJECT_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STAGE = "local"
# Where a running stack says how to reach it (written once it answers, removed when it stops):
# beside the secrets, in the data dir; `stopmotion post` and `pull --local` read it.
STATE_NAME = "stack.json"
DEFAULT_STATE_FILE = DEFAULT_SECRETS.with_name(STATE_NAME)
CLOCK_NAME = "clock"  # in the data dir: the service's clock offset (chalicelib/clock.py)
# Credentials of the local S3 server only (rclone rejects very short keys).
ACCESS_KEY, SECRET_KEY = "stopmotion-local", "stopmotion-local-secret"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port already (a server of ours could not bind it)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def _die_with_parent() -> None:
    """In the child before exec: ask Linux for SIGTERM when the parent exits (PR_SET_PDEATHSIG)."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)


def stage_bucket(stage: str = STAGE) -> str:
    """The FRAMES_BUCKET that .chalice/config.json gives the stage (chalice local enforces it)."""
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    return config["stages"][stage]["environment_variables"]["FRAMES_BUCKET"]


TAIL_LINES = 15  # of a server's output, quoted when it fails


class StackError(RuntimeError):
    """A server of the stack cannot start or answer; the message says which and why."""


@dataclass
class Server:
    """One server of the stack: how to start it, how to tell it answers, its last output lines."""

    name: str
    port: int
    argv: list
    answers: Callable[[], bool]
    process: subprocess.Popen | None = None
    tail: deque = field(default_factory=lambda: deque(maxlen=TAIL_LINES))

    def last_output(self) -> str:
        lines = b"".join(self.tail).decode("utf-8", errors="replace").rstrip()
        return f"; its last output:\n{lines}" if lines else "; it printed nothing"


def running_stack(state_file: Path = DEFAULT_STATE_FILE) -> dict | None:
    """What a running local stack wrote about itself (api_url, s3_endpoint, bucket, camera,
    secrets_file), or None when none runs (no file, or the process that wrote it is gone)."""
    try:
        state = json.loads(state_file.read_text())
        os.kill(state["pid"], 0)
    except ProcessLookupError:  # a stale file: that stack was killed
        return None
    except PermissionError:  # alive, another user's
        pass
    except (OSError, ValueError, KeyError, TypeError):  # no file, or not one a stack wrote
        return None
    return state


class LocalStack:
    """Starts the S3 server and the API on enter, stops both on exit (also after Ctrl-C)."""

    def __init__(
        self,
        data_dir: str | Path,
        port: int = 0,
        s3_port: int = 0,
        *,
        env: dict[str, str] | None = None,
        log_file: str | Path | None = None,
        timeout: float = 30.0,
        clock_start: datetime | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.api_port = port or free_port()
        self.s3_port = s3_port or free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.s3_endpoint = f"http://127.0.0.1:{self.s3_port}"
        self.bucket = stage_bucket()
        # Camera secrets and the viewer token (stopmotion camera); outside the bucket folders.
        self.secrets_file = self.data_dir / DEFAULT_SECRETS.name
        self.state_file = self.data_dir / STATE_NAME
        self.clock_file = self.data_dir / CLOCK_NAME
        self.clock_start = clock_start
        self.env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_S3": self.s3_endpoint,
            "FRAMES_BUCKET": self.bucket,
            "SECRETS_FILE": str(self.secrets_file),
            clock.ENV: str(self.clock_file),
            **(env or {}),
        }
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            self.env.pop(name, None)  # never let a user's AWS setup leak into the local stack
        self.log_file = Path(log_file) if log_file else None
        self.timeout = timeout
        self.servers = [
            Server("rclone serve s3", self.s3_port,
                   [BIN / "rclone", "serve", "s3", "--config", "", "--addr",
                    f"127.0.0.1:{self.s3_port}", "--auth-key", f"{ACCESS_KEY},{SECRET_KEY}",
                    self.data_dir],
                   self._s3_answers),
            Server("chalice local", self.api_port,
                   [BIN / "chalice", "local", "--host", "127.0.0.1", "--port", str(self.api_port),
                    "--stage", STAGE, "--no-autoreload"],
                   self._api_answers),
        ]

    def __enter__(self) -> "LocalStack":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Starts the S3 server, then the API; raises StackError if a port is taken (another
        `make run`?) or a server dies or stays silent: only servers started here count."""
        for server in self.servers:
            if port_in_use(server.port):
                raise StackError(
                    f"127.0.0.1:{server.port}, the port of {server.name}, is in use (another "
                    "`make run`?): stop that, or choose free ports with make run PORT=<api port> "
                    "S3_PORT=<s3 port> (stopmotion serve --port --s3-port)")
        (self.data_dir / self.bucket).mkdir(parents=True, exist_ok=True)  # a folder is a bucket
        ensure_local(self.secrets_file)  # a demo camera and a viewer token, kept once made
        if self.clock_start is None:
            self.clock_file.unlink(missing_ok=True)  # no clock of an earlier `serve --clock`
        else:
            self.set_clock((self.clock_start - datetime.now(UTC)).total_seconds())
        for server in self.servers:
            self.launch(server)
        write_json(self.state_file, {
            "pid": os.getpid(), "api_url": self.api_url, "s3_endpoint": self.s3_endpoint,
            "bucket": self.bucket, "camera": DEMO_CAMERA, "secrets_file": str(self.secrets_file),
        })

    def launch(self, server: Server) -> None:
        """Starts one server (again, after it died) and waits until it answers."""
        self._spawn(server)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise StackError(f"{server.name} exited with status {server.process.returncode}"
                                 + server.last_output())
            if server.answers():
                return
            time.sleep(0.1)
        raise StackError(f"{server.name} did not answer within {self.timeout:.0f} s"
                         + server.last_output())

    def stop(self) -> None:
        """Stops what start() started, newest first; kills what ignores SIGTERM for 5 s."""
        running = [server.process for server in reversed(self.servers) if server.process]
        for process in running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in running:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for server in self.servers:
            server.process = None
        if (running_stack(self.state_file) or {}).get("pid") == os.getpid():
            self.state_file.unlink()

    def set_clock(self, offset_s: float) -> None:
        """Sets the service's clock offset_s seconds ahead of this machine's (negative: behind),
        from its next request on; 0 puts it back."""
        clock.write_offset(self.clock_file, offset_s)

    def service_time(self) -> datetime:
        """What the service's clock says now."""
        return clock.now({clock.ENV: str(self.clock_file)})

    def wait(self) -> Server:
        """Blocks until one of the servers exits; returns it (its process holds the status)."""
        while True:
            for server in self.servers:
                if server.process.poll() is not None:
                    time.sleep(0.2)  # let its last words reach the tail
                    return server
            time.sleep(0.5)

    def s3_client(self) -> Any:
        """A boto3 S3 client for the local server."""
        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(retries={"mode": "standard", "max_attempts": 2}),
        )

    def _spawn(self, server: Server) -> None:
        # Own process group: Ctrl-C reaches only us, and stop() shuts the servers down in order.
        # Should we (the starting thread) die without stop(), the kernel sends them SIGTERM.
        server.process = subprocess.Popen(
            [str(arg) for arg in server.argv], cwd=PROJECT_DIR, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent,
        )
        server.tail.clear()
        output = open(self.log_file, "ab") if self.log_file else sys.stderr.buffer  # noqa: SIM115
        threading.Thread(target=_relay, args=(server.process.stdout, output, server.tail),
                         daemon=True).start()

    def _s3_answers(self) -> bool:
        try:
            self.s3_client().head_bucket(Bucket=self.bucket)
            return True
        except Exception:
            return False

    def _api_answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False


def _relay(pipe: IO[bytes], output: IO[bytes], tail: deque) -> None:
    """Copies a server's output to the log file (or our stderr), keeping its last lines."""
    with pipe:
        for line in pipe:
            tail.append(line)
            try:
                output.write(line)
                output.flush()
            except (OSError, ValueError):
                pass  # nowhere to show it; keep draining, or the server would block on its pipe
    if output is not sys.stderr.buffer:
        output.close()
