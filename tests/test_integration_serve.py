"""`stopmotion serve` (what `make run` runs): the curl lines it prints work, Ctrl-C stops it all."""

import argparse
import base64
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.protocol import keys
from stopmotion import post, pull, serve
from stopmotion.localstack import PROJECT_DIR, LocalStack, StackError, free_port

STOPMOTION = Path(sys.executable).parent / "stopmotion"


def serve_command(tmp_path: Path, port: int, s3_port: int, *options: str) -> list:
    return [STOPMOTION, "serve", "--port", str(port), "--s3-port", str(s3_port),
            "--data-dir", tmp_path / "var", *options]


def start_serve(tmp_path: Path, *options: str) -> tuple[subprocess.Popen, int, int, list[str]]:
    """Starts `stopmotion serve` on free ports; returns it, its ports and what it printed up to
    the "Ctrl-C" line (by then both servers answer)."""
    port, s3_port = free_port(), free_port()
    serve = subprocess.Popen(
        serve_command(tmp_path, port, s3_port, *options),
        cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    printed = []
    for line in serve.stdout:
        printed.append(line)
        if line.startswith("Ctrl-C"):
            break
    return serve, port, s3_port, printed


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_the_printed_curl_lines_store_and_list_the_sample_and_ctrl_c_stops_it_all(tmp_path):
    serve, port, s3_port, printed = start_serve(tmp_path)
    try:
        curls = [line.strip() for line in printed if line.strip().startswith("curl ")]
        post, listing = curls
        assert "X-Camera-Id" not in post  # the camera id comes from the signed credential
        assert any(f"{tmp_path}/var/stopmotion/frames/" in line for line in printed)

        def run(command: str) -> dict:
            answer = subprocess.run(shlex.split(command), cwd=PROJECT_DIR, capture_output=True,
                                    check=True, timeout=30).stdout
            return json.loads(answer)

        answer = run(post)
        assert "key" in answer, answer
        stored = tmp_path / "var" / "stopmotion" / answer["key"]
        assert stored.read_bytes() == (PROJECT_DIR / "samples" / "frame.jpg").read_bytes()
        assert run(post)["key"] == answer["key"]  # the printed line again: a retry, same frame
        assert [frame["key"] for frame in run(listing)["frames"]] == [answer["key"]]

        # The preview page: its address and the password it asks for.
        token = listing.split("Bearer ")[1].split("'")[0]
        assert f"Watch them in a browser: http://127.0.0.1:{port}/preview\n" in printed
        assert any(f"any user name, and the viewer token {token}" in line for line in printed)
        login = base64.b64encode(f"me:{token}".encode()).decode()
        page = urllib.request.Request(f"http://127.0.0.1:{port}/preview",
                                      headers={"Authorization": f"Basic {login}"})
        with urllib.request.urlopen(page, timeout=10) as response:
            assert b"<title>Stop-motion cameras</title>" in response.read()

        serve.send_signal(signal.SIGINT)
        assert serve.wait(15) == 0
        assert not listening(port) and not listening(s3_port)
    finally:
        if serve.poll() is None:  # a failed check: stop it as Ctrl-C would, so nothing lingers
            serve.send_signal(signal.SIGINT)
            serve.wait(15)


def test_a_killed_serve_takes_its_servers_along(tmp_path):
    serve, port, s3_port, _ = start_serve(tmp_path)
    assert listening(port) and listening(s3_port)
    serve.kill()  # no chance to clean up
    serve.wait()
    deadline = time.monotonic() + 10
    while (listening(port) or listening(s3_port)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not listening(port) and not listening(s3_port)


def test_a_second_serve_on_a_busy_port_says_so_and_spends_nothing(tmp_path):
    serve, port, _, _ = start_serve(tmp_path)
    try:
        counters = tmp_path / "var" / "counters.json"
        spent = counters.read_text()
        # The first one's API answers /health on that port: it must not pass for the second's.
        second = subprocess.run(serve_command(tmp_path, port, free_port()), cwd=PROJECT_DIR,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "Ingest API" not in second.stdout and "Ctrl-C" not in second.stdout
        assert f"127.0.0.1:{port}, the port of chalice local, is in use" in second.stderr
        assert counters.read_text() == spent  # no counter signed for a banner not shown
        assert serve.poll() is None and listening(port)  # the first one runs on
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(15)


def test_a_server_that_cannot_start_is_named_with_its_last_output(tmp_path):
    # chalice local is a Python program: a Python home that does not exist kills it at start.
    stack = LocalStack(tmp_path / "data", env={"PYTHONHOME": str(tmp_path / "nowhere")},
                       log_file=tmp_path / "stack.log")
    with pytest.raises(StackError) as failure, stack:
        pass
    message = str(failure.value)
    assert message.startswith("chalice local exited with status 1; its last output:\n")
    assert "PYTHONHOME" in message or "encodings" in message
    assert all(server.process is None for server in stack.servers)  # the S3 server stopped too


def child_pid(parent: int, program: str) -> int:
    """The pid of parent's child process running program (Linux /proc)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            argv0 = (stat.parent / "cmdline").read_bytes().split(b"\0")[0].decode()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if ppid == parent and Path(argv0).name == program:
            return int(stat.parent.name)
    raise LookupError(f"no {program} under pid {parent}")


def test_a_dead_s3_server_is_restarted_and_uploads_work_again(tmp_path):
    serve, port, _, printed = start_serve(tmp_path)
    try:
        post = next(line.strip() for line in printed if line.strip().startswith("curl "))
        os.kill(child_pid(serve.pid, "rclone"), signal.SIGKILL)
        said = []  # the banner's blank last line first
        for line in serve.stdout:  # until it says the server is back, or stops
            said.append(line)
            if line.startswith("rclone serve s3 is back"):
                break
        assert "rclone serve s3 exited with status -9; restarting it (1 of 3)" in "".join(said)
        assert serve.poll() is None
        answer = json.loads(subprocess.run(shlex.split(post), cwd=PROJECT_DIR, check=True,
                                           capture_output=True, timeout=30).stdout)
        assert (tmp_path / "var" / "stopmotion" / answer["key"]).is_file(), answer
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(15)


def parsed_defaults(module, *argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    module.register(parser.add_subparsers())
    return parser.parse_args(list(argv))


def test_post_and_pull_find_where_serve_says_it_runs():
    data_dir = parsed_defaults(serve, "serve").data_dir
    state_file = LocalStack(data_dir).state_file
    assert parsed_defaults(post, "post", "x.jpg").stack_file == state_file
    assert parsed_defaults(pull, "pull", "film").stack_file == state_file


def test_post_and_pull_reach_the_running_stack_without_being_told_its_ports(tmp_path):
    serve_process, _, _, printed = start_serve(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("FRAMES_BUCKET", None)
    state_file = tmp_path / "var" / "stack.json"

    def printed_command(start: str) -> list[str]:
        line = next(line.strip() for line in printed if line.strip().startswith(start))
        return [str(STOPMOTION), *shlex.split(line)[1:]]

    def run(argv: list, cwd: Path = PROJECT_DIR, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(argv, cwd=cwd, env={**env, **extra}, capture_output=True,
                              text=True, timeout=60)

    try:
        post_argv = printed_command(".venv/bin/stopmotion post")
        assert post_argv[2:] == ["samples/frame.jpg", "--stack-file", str(state_file)]
        posted = run(post_argv)  # as the demo camera, signed with its secret
        assert posted.stdout.startswith("HTTP/1.1 201"), posted.stdout + posted.stderr
        assert '"camera":"demo"' in posted.stdout

        pull_argv = printed_command(".venv/bin/stopmotion pull")
        assert pull_argv[2:] == ["film/", "--local", "--stack-file", str(state_file)]
        pulled = run(pull_argv, cwd=tmp_path)
        assert "pulled 1 frames" in pulled.stdout, pulled.stdout + pulled.stderr
        assert len(list((tmp_path / "film" / "demo").rglob("*.jpg"))) == 1

        unused = free_port()  # AWS_ENDPOINT_URL_S3 wins over the running stack
        refused = run(pull_argv, cwd=tmp_path, AWS_ENDPOINT_URL_S3=f"http://127.0.0.1:{unused}")
        assert refused.returncode != 0 and f"127.0.0.1:{unused}" in refused.stderr
    finally:
        serve_process.send_signal(signal.SIGINT)
        serve_process.wait(15)
    assert not state_file.exists()
    stopped = run(post_argv)
    assert stopped.returncode == 1
    assert "no `make run` is running" in stopped.stderr


def test_serve_clock_starts_the_services_clock_and_a_plain_serve_runs_on_this_machines(tmp_path):
    """`serve --clock` sets the time every answer carries; the next `serve` forgets it."""
    state_file = tmp_path / "var" / "stack.json"
    hello = [str(STOPMOTION), "post", "--hello", "--stack-file", str(state_file)]
    for options, expected in ((["--clock", "2031-07-01T08:59:30Z"], datetime(2031, 7, 1, 8, 59, 30,
                                                                              tzinfo=UTC)),
                              ([], None)):
        serve_process, _, _, printed = start_serve(tmp_path, *options)
        try:
            if expected:
                assert ("The service's clock started at 2031-07-01 08:59:30 UTC and runs from "
                        "there") in "".join(printed)
            said = subprocess.run(hello, cwd=PROJECT_DIR, capture_output=True, text=True,
                                  timeout=60)
            assert said.returncode == 0, said.stderr
            answered = keys.parse_time(re.search(r" at (\S+Z): hello", said.stderr)[1], "at")
            assert abs(answered - (expected or datetime.now(UTC))) < timedelta(seconds=30)
            if expected:  # the demo camera's default schedule: every 6 hours on the UTC clock
                assert "next capture at 2031-07-01T12:00:00.000Z" in said.stderr
        finally:
            serve_process.send_signal(signal.SIGINT)
            serve_process.wait(15)
    refused = subprocess.run([*serve_command(tmp_path, free_port(), free_port()), "--clock",
                              "tomorrow"], cwd=PROJECT_DIR, capture_output=True, text=True,
                             timeout=60)
    assert refused.returncode == 2 and "is not an ISO-8601 time" in refused.stderr
