"""`stopmotion post`: the exact bytes on the wire, and what the real local stack makes of them."""

import argparse
import json
import re
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from chalicelib.protocol import keys
from simboard.frames import blocks_jpeg
from simboard.proxy import FaultProxy
from stopmotion import post
from stopmotion.camera import FileSecrets
from tests.conftest import cameras_for

JPEG = b"\xff\xd8\xff\xe0" + b"payload" + b"\xff\xd9"


def stopmotion_post(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    post.register(parser.add_subparsers())
    args = parser.parse_args(["post", *argv])
    return args.func(args)


def test_request_is_the_contract_header_set_in_order() -> None:
    request = post.build_request("http://cam.example:8080/api/frames", JPEG, "1.2.3")
    assert request == (
        b"POST /api/frames HTTP/1.1\r\n"
        b"Host: cam.example:8080\r\n"
        b"User-Agent: stopmotion-cam/1.2.3\r\n"
        b"Content-Type: image/jpeg\r\n"
        b"Content-Length: 13\r\n"
        b"Connection: close\r\n"
        b"\r\n" + JPEG
    )
    request = post.build_request("http://d1.cloudfront.net/f", JPEG)
    assert b"Host: d1.cloudfront.net\r\n" in request


@pytest.mark.parametrize(
    ("options", "body"),
    [
        ({}, JPEG),
        ({"dummy_byte": True}, b"\x00" + JPEG),
        ({"drop_ff": True}, JPEG[1:]),
        ({"pad": 3}, JPEG + b"\x00\x00\x00"),
        ({"dummy_byte": True, "drop_ff": True, "pad": 1}, b"\x00" + JPEG[1:] + b"\x00"),
    ],
)
def test_old_module_revisions(options: dict, body: bytes) -> None:
    assert post.camera_body(JPEG, **options) == body


class Recorder(threading.Thread):
    """A one-shot TCP server on 127.0.0.1 that records what it receives and answers 201."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received = b""

    def run(self) -> None:
        connection, _ = self.server.accept()
        with connection:
            head = b""
            while b"\r\n\r\n" not in head:
                head += connection.recv(65536)
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            while len(head.partition(b"\r\n\r\n")[2]) < length:
                head += connection.recv(65536)
            self.received = head
            connection.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}")
        self.server.close()


def test_sends_exactly_the_request_and_prints_the_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    recorder = Recorder()
    recorder.start()
    source = tmp_path / "frame.jpg"
    source.write_bytes(JPEG)
    url = f"http://127.0.0.1:{recorder.port}/frames"
    secrets_file = tmp_path / "secrets.json"  # porch has no secret: the post goes unsigned
    assert stopmotion_post(str(source), "--url", url, "--camera", "porch", "--pad", "4",
                           "--secrets-file", str(secrets_file)) == 1
    recorder.join(5)
    assert recorder.received == post.build_request(url, JPEG + bytes(4),
                                                   health=post.stand_in_health())
    assert b"\r\nStopmotion-Health: fw=0.3.0 tries=1\r\nConnection: close\r\n" in recorder.received
    assert b"chunked" not in recorder.received.lower()
    printed = capsys.readouterr()
    assert printed.out.startswith("HTTP/1.1 201 Created")
    assert "cannot be told from one not from the service" in printed.err


def test_unreachable_or_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="No such file"):
        stopmotion_post(str(tmp_path / "none.jpg"))
    (tmp_path / "f.jpg").write_bytes(JPEG)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(SystemExit, match="post: http://127.0.0.1"):
        stopmotion_post(str(tmp_path / "f.jpg"), "--url", f"http://127.0.0.1:{port}/frames")
    with pytest.raises(SystemExit, match="plain http"):
        stopmotion_post(str(tmp_path / "f.jpg"), "--url", "https://example.com/frames")


@pytest.mark.parametrize(
    "flags", [[], ["--dummy-byte"], ["--drop-ff"], ["--pad", "512"], ["--dummy-byte", "--pad", "9"]]
)
def test_the_service_repairs_every_old_revision(
    local_stack, sample_frame: bytes, tmp_path: Path, capsys: pytest.CaptureFixture, flags: list
) -> None:
    source = tmp_path / "frame.jpg"
    source.write_bytes(sample_frame)
    url = f"{local_stack.api_url}/frames"
    cameras_for(local_stack).secret("studio-post")  # the camera exists; post signs with its secret
    assert stopmotion_post(str(source), "--url", url, "--camera", "studio-post",
                           "--secrets-file", str(local_stack.secrets_file), *flags) == 0
    answer = json.loads(capsys.readouterr().out.partition("\r\n\r\n")[2])
    assert bool(answer["repairs"]) == bool(flags)
    stored = local_stack.s3_client().get_object(Bucket=local_stack.bucket, Key=answer["key"])
    assert stored["Body"].read() == sample_frame


def test_age_dates_the_frame_by_its_capture(
    local_stack, sample_frame: bytes, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """--age sends a frame as a camera that kept it an hour: the service names it by capture."""
    source = tmp_path / "frame.jpg"
    source.write_bytes(sample_frame)
    cameras_for(local_stack).secret("studio-age")
    assert stopmotion_post(str(source), "--url", f"{local_stack.api_url}/frames", "--camera",
                           "studio-age", "--secrets-file", str(local_stack.secrets_file),
                           "--age", "3600") == 0
    stored = json.loads(capsys.readouterr().out.partition("\r\n\r\n")[2])
    received, captured = (keys.parse_time(stored[name], name) for name in ("received", "captured"))
    assert received - captured == timedelta(hours=1) and stored["age"] == 3600
    assert keys.parse_key(stored["key"]).time == captured
    with pytest.raises(SystemExit, match="--age must be 0 to 34560000 seconds"):
        stopmotion_post(str(source), "--url", f"{local_stack.api_url}/frames", "--age", "-1")


def test_a_rejected_frame_exits_non_zero(local_stack, tmp_path: Path) -> None:
    source = tmp_path / "notes.jpg"
    source.write_bytes(b"not a jpeg at all")
    assert stopmotion_post(str(source), "--url", f"{local_stack.api_url}/frames") == 1


def post_through(local_stack, tmp_path: Path, camera: str, body: bytes, **proxy) -> int:
    """`stopmotion post` of body as camera (known to the stack) to the real `chalice local`, through
    a FaultProxy with these options; its exit status."""
    source = tmp_path / "frame.jpg"
    source.write_bytes(body)
    cameras_for(local_stack).secret(camera)
    upstream = urlsplit(local_stack.api_url).port
    with FaultProxy(upstream, **proxy) as between:
        return stopmotion_post(str(source), "--url", f"http://127.0.0.1:{between.port}/frames",
                               "--camera", camera, "--secrets-file",
                               str(local_stack.secrets_file))


def test_the_services_signed_answer_is_trusted(
    local_stack, sample_frame: bytes, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert post_through(local_stack, tmp_path, "studio-signed", sample_frame) == 0
    printed = capsys.readouterr()
    stored = json.loads(printed.out.partition("\r\n\r\n")[2])
    assert re.fullmatch(r"post: the service answered 201 to counter \d+ at \S+Z: "
                        rf"stored {stored['key']} \(sha256 {stored['sha256']}\); "
                        r"next capture at \S+:00:00.000Z \(in \d+ s\)\n", printed.err)


def test_hello_asks_when_to_capture_and_health_is_reported(
    local_stack, stack_clock, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """--hello: the camera's boot request; the next capture comes from the verified answer, by
    the camera's schedule on the service's clock. The stand-in's health reaches the frame."""
    cameras = cameras_for(local_stack)
    cameras.secret("studio-hello")
    FileSecrets(local_stack.secrets_file).set_schedule("studio-hello", "at 09:00,12:00,15:00")
    stack_clock((datetime(2032, 5, 6, 11, 0, tzinfo=UTC) - datetime.now(UTC)).total_seconds())
    common = ["--url", f"{local_stack.api_url}/frames", "--camera", "studio-hello",
              "--secrets-file", str(local_stack.secrets_file)]
    assert stopmotion_post("--hello", *common) == 0
    printed = capsys.readouterr()
    assert json.loads(printed.out.partition("\r\n\r\n")[2])["next"] == "2032-05-06T12:00:00.000Z"
    assert re.fullmatch(r"post: the service answered 200 to counter \d+ at 2032-05-06T11:00:\S+Z: "
                        r"hello answered; next capture at 2032-05-06T12:00:00.000Z "
                        r"\(in 3[56]\d\d s\)\n", printed.err), printed.err
    source = tmp_path / "frame.jpg"
    source.write_bytes(blocks_jpeg(16, 16))
    for health, kept in ((None, "fw=0.3.0 tries=1"), ("sram=640 up=99", "sram=640 up=99"),
                         ("", None)):
        flags = [] if health is None else ["--health", health]
        assert stopmotion_post(str(source), *common, *flags) == 0
        key = json.loads(capsys.readouterr().out.partition("\r\n\r\n")[2])["key"]
        metadata = local_stack.s3_client().head_object(Bucket=local_stack.bucket,
                                                       Key=key)["Metadata"]
        assert {k.lower(): v for k, v in metadata.items()}.get("health") == kept


@pytest.mark.parametrize("argv, message", [
    (["--hello", "x.jpg"], "give a JPEG to send, or --hello"),
    ([], "give a JPEG to send, or --hello"),
    (["--hello", "--pad", "3"], "--hello sends no frame"),
    (["--hello", "--health", "fw=0.2.0  up=1"], "--health: Stopmotion-Health token ''"),
    (["--hello", "--firmware-version", "1.0 beta"], "cannot be the health's fw= value"),
    (["empty.jpg"], "is empty: an empty body is the camera's hello"),
])
def test_bad_hello_and_health_options_say_what_to_do(tmp_path: Path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.jpg").write_bytes(JPEG)
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(SystemExit, match=re.escape(message)):
        stopmotion_post(*argv, "--url", "http://127.0.0.1:9/frames")


def test_a_signed_refusal_says_whether_the_camera_gives_up(
    local_stack, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert post_through(local_stack, tmp_path, "studio-refused", b"not a picture") == 1
    said = capsys.readouterr().err
    assert "the service answered 422 to counter" in said and "refused for good" in said


def test_a_2xx_the_service_did_not_sign_is_not_from_the_service(
    local_stack, sample_frame: bytes, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A captive portal: something between camera and service answers 200 itself."""
    assert post_through(local_stack, tmp_path, "studio-portal", sample_frame, canned={0: 200}) == 1
    printed = capsys.readouterr()
    assert printed.out.startswith("HTTP/1.1 200")
    assert "answer not from the service" in printed.err
    assert "carries no Stopmotion-Answer" in printed.err


def _flip_first_hex_after(field: bytes):
    def rewrite(response: bytes) -> bytes:
        at = response.index(field) + len(field)
        digit = b"1" if response[at:at + 1] != b"1" else b"2"
        return response[:at] + digit + response[at + 1:]
    return rewrite


TAMPERED = {  # how a middlebox alters the service's answer -> what the post is sent as
    "the signed hash": (_flip_first_hex_after(b"SHA256="), "jpeg"),
    "the signature": (_flip_first_hex_after(b"Signature="), "jpeg"),
    "a refusal made a success": (
        lambda r: r.replace(b"HTTP/1.1 422", b"HTTP/1.1 201").replace(b"Status=422", b"Status=201"),
        "junk"),
    "only the status line": (lambda r: r.replace(b"HTTP/1.1 422", b"HTTP/1.1 201"), "junk"),
}


@pytest.mark.parametrize("case", TAMPERED)
def test_a_tampered_answer_is_not_from_the_service(
    local_stack, sample_frame: bytes, tmp_path: Path, capsys: pytest.CaptureFixture, case: str
) -> None:
    rewrite, sent = TAMPERED[case]
    body = sample_frame if sent == "jpeg" else b"not a picture"
    camera = f"studio-tampered-{list(TAMPERED).index(case)}"
    assert post_through(local_stack, tmp_path, camera, body, rewrite=rewrite) == 1
    assert "post: answer not from the service" in capsys.readouterr().err
