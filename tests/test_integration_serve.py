"""`stopmotion serve` (what `make run` runs): the curl lines it prints work, Ctrl-C stops it all."""

import json
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from stopmotion.localstack import PROJECT_DIR, free_port

STOPMOTION = Path(sys.executable).parent / "stopmotion"


def start_serve(tmp_path: Path) -> tuple[subprocess.Popen, int, int, list[str]]:
    """Starts `stopmotion serve` on free ports; returns it, its ports and what it printed up to
    the "Ctrl-C" line (by then both servers answer)."""
    port, s3_port = free_port(), free_port()
    serve = subprocess.Popen(
        [STOPMOTION, "serve", "--port", str(port), "--s3-port", str(s3_port),
         "--data-dir", tmp_path / "var"],
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
