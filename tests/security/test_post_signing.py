"""`stopmotion post` signs as the firmware does: the service accepts it, a resend is idempotent."""

import argparse
import json

from stopmotion import post
from tests.conftest import cameras_for


def run_post(*argv):
    parser = argparse.ArgumentParser()
    post.register(parser.add_subparsers())
    args = parser.parse_args(["post", *argv])
    return args.func(args)


def answer(capsys):
    out = capsys.readouterr().out
    return int(out.split()[1]), json.loads(out.partition("\r\n\r\n")[2])


def test_signed_posts_count_up_and_a_resend_is_idempotent(
    local_stack, sample_frame, tmp_path, capsys
):
    cameras_for(local_stack).secret("post-signed")
    source = tmp_path / "frame.jpg"
    source.write_bytes(sample_frame)
    common = [
        str(source),
        "--url",
        f"{local_stack.api_url}/frames",
        "--camera",
        "post-signed",
        "--secrets-file",
        str(local_stack.secrets_file),
    ]
    assert run_post(*common) == 0
    first = answer(capsys)
    assert run_post(*common) == 0
    second = answer(capsys)
    assert first[0] == second[0] == 201 and first[1]["key"] != second[1]["key"]
    counters = json.loads(local_stack.secrets_file.with_name("counters.json").read_text())
    assert [v for k, v in counters.items() if k.startswith("post-signed/")] == [2]
    assert run_post(*common, "--counter", "2") == 0  # the same frame again: its answer was lost
    status, again = answer(capsys)
    # the same frame, with the capture time the first attempt gave it; the arrival is this one's
    assert status == 200 and again["captured"] == second[1]["captured"]
    assert {**again, "received": "-"} == {**second[1], "received": "-"}


def test_the_header_sits_where_the_firmware_puts_it():
    request = post.build_request("http://h/frames", b"x", "1", authorization="SM1 x")
    assert b"Content-Length: 1\r\nAuthorization: SM1 x\r\nConnection: close\r\n\r\nx" in request
