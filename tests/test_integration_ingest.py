"""The real stack (chalice local + rclone serve s3 as subprocesses), posted to as a camera does."""

import hashlib
import json
import os
import signal
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from chalicelib import aws
from chalicelib.protocol import answer, keys
from simboard.frames import blocks_jpeg, noise_jpeg
from stopmotion.localstack import LocalStack
from tests.conftest import camera_post, cameras_for

GOOD = blocks_jpeg(800, 600, thumbnail=True, seed=7)
PADDING = bytes(range(256)) * 64  # what a FIFO read of the full length returns after the EOI


def stored_file(stack: LocalStack, key: str) -> bytes:
    """The object as a plain file in the data folder, where users find it."""
    return (stack.data_dir / stack.bucket / key).read_bytes()


@pytest.mark.parametrize(
    "body, repairs",
    [
        (GOOD, []),
        (GOOD[1:] + PADDING, ["missing_leading_ff", "trailing_bytes_cut"]),
        (b"\x00" + GOOD + PADDING, ["junk_before_soi", "trailing_bytes_cut"]),
    ],
    ids=["intact", "old-module-revision", "new-module-revision"],
)
def test_a_posted_frame_is_stored_byte_for_byte(local_stack, body, repairs):
    status, headers, payload = camera_post(local_stack.api_url, body, camera="integ")
    assert status == 201, payload
    assert headers["content-type"] == "application/json" and payload.endswith(b"}\n")
    answer = json.loads(payload)
    assert answer["repairs"] == repairs
    assert answer["bytes"] == len(GOOD) and (answer["width"], answer["height"]) == (800, 600)
    assert answer["sha256"] == hashlib.sha256(GOOD).hexdigest()
    assert stored_file(local_stack, answer["key"]) == GOOD
    s3_object = local_stack.s3_client().get_object(Bucket=local_stack.bucket, Key=answer["key"])
    assert s3_object["Body"].read() == GOOD


def test_a_truncated_frame_is_kept_with_its_end_marker(local_stack):
    cut = GOOD[: len(GOOD) * 2 // 3]
    status, _, payload = camera_post(local_stack.api_url, cut, camera="integ-cut")
    answer = json.loads(payload)
    assert status == 201 and answer["repairs"] == ["eoi_appended"]
    assert stored_file(local_stack, answer["key"]) == cut + b"\xff\xd9"


def test_a_one_megabyte_frame_goes_through(local_stack):
    big = noise_jpeg(1600, 1200, quality=90, sigma=60)
    assert len(big) > 1_000_000
    status, _, payload = camera_post(local_stack.api_url, big, camera="integ-big")
    assert status == 201
    assert stored_file(local_stack, json.loads(payload)["key"]) == big


def frames_of(stack: LocalStack, camera: str) -> list[Path]:
    return sorted((stack.data_dir / stack.bucket / "frames" / camera).rglob("*.jpg"))


@pytest.mark.parametrize(
    "body, content_type, status, code",
    [
        (b"GET / HTTP/1.0", "image/jpeg", 422, "NotAJpeg"),
        (GOOD, "text/plain", 415, "UnsupportedMediaType"),
        (GOOD[:400], "image/jpeg", 422, "NotAJpeg"),
        (bytes(4_500_001), "application/octet-stream", 413, "FrameTooLarge"),
    ],
    ids=["not-a-jpeg", "wrong-type", "headers-only", "over-the-limit"],
)
def test_refused_bodies_leave_nothing_behind(local_stack, body, content_type, status, code):
    got, _, payload = camera_post(local_stack.api_url, body, camera="integ-refused",
                                  content_type=content_type)
    assert got == status
    assert json.loads(payload)["Code"] == code and payload.endswith(b"}\n")
    assert frames_of(local_stack, "integ-refused") == []


def test_posted_frames_are_listed(local_stack):
    keys = [json.loads(camera_post(local_stack.api_url, GOOD, camera="integ-list")[2])["key"]
            for _ in range(3)]
    viewer = cameras_for(local_stack).viewer()
    with urllib.request.urlopen(urllib.request.Request(
            f"{local_stack.api_url}/frames?camera=integ-list", headers=viewer)) as response:
        listing = json.load(response)
    assert [frame["key"] for frame in listing["frames"]] == keys
    with urllib.request.urlopen(urllib.request.Request(
            f"{local_stack.api_url}/frames/latest?camera=integ-list", headers=viewer)) as resp:
        assert json.load(resp)["frames"][0]["key"] == keys[-1]


def test_a_late_frame_is_listed_in_its_place_by_capture_time(local_stack):
    """The frame posted second waited two days on the camera (its upload says Age=172800): it
    is named and listed by its capture, before the frame posted first, and the signed answer
    still says when it arrived."""
    cameras = cameras_for(local_stack)
    first = json.loads(camera_post(local_stack.api_url, GOOD, camera="integ-late")[2])
    status, headers, payload = camera_post(local_stack.api_url, noise_jpeg(64, 48),
                                           camera="integ-late", age=2 * 86400)
    late = json.loads(payload)
    assert status == 201, late
    received, captured = (keys.parse_time(late[name], name) for name in ("received", "captured"))
    assert (late["age"], received - captured) == (2 * 86400, timedelta(days=2))
    assert keys.parse_key(late["key"]).time == captured
    signed = answer.verify_answer(cameras.secret("integ-late"), "integ-late",
                                  headers[answer.HEADER.lower()])
    assert abs(signed.received - received) < timedelta(seconds=5)  # arrival, not capture
    with urllib.request.urlopen(urllib.request.Request(
            f"{local_stack.api_url}/frames?camera=integ-late", headers=cameras.viewer())) as got:
        listing = json.load(got)["frames"]
    assert [frame["key"] for frame in listing] == [late["key"], first["key"]]
    assert listing[0]["time"] == late["captured"]


def test_storage_down_gives_503_and_stores_nothing(tmp_path):
    with LocalStack(tmp_path / "data", log_file=tmp_path / "stack.log") as stack:
        cameras_for(stack)  # camera_post signs for this stack too
        assert camera_post(stack.api_url, GOOD, camera="down")[0] == 201
        s3_server = stack.servers[0].process
        s3_server.terminate()
        s3_server.wait(5)
        status, headers, payload = camera_post(stack.api_url, GOOD, camera="down")
        assert status == 503
        assert int(headers["retry-after"]) > 0
        assert json.loads(payload)["Code"] == "StorageUnavailable"
        try:
            urllib.request.urlopen(f"{stack.api_url}/health")
            raise AssertionError("health said ok with the S3 server gone")
        except urllib.error.HTTPError as err:
            assert err.code == 503
        assert len(frames_of(stack, "down")) == 1


def answered_in_time(stack: LocalStack, camera: str) -> tuple[int, dict, bytes]:
    """POSTs GOOD as camera; the answer, which must come within the service's budget."""
    start = time.monotonic()
    answer = camera_post(stack.api_url, GOOD, camera=camera, timeout=60)
    elapsed = time.monotonic() - start
    assert elapsed < aws.ANSWER_WITHIN_S, f"answered after {elapsed:.1f} s"
    return answer


def test_frozen_storage_gives_503_within_the_budget(tmp_path):
    """rclone stopped (SIGSTOP): its socket still takes connections and never answers."""
    with LocalStack(tmp_path / "data", log_file=tmp_path / "stack.log") as stack:
        cameras_for(stack)
        s3_server = stack.servers[0].process
        os.kill(s3_server.pid, signal.SIGSTOP)
        try:
            status, headers, payload = answered_in_time(stack, "frozen")
            assert (status, json.loads(payload)["Code"]) == (503, "StorageUnavailable")
            assert int(headers["retry-after"]) > 0
            start = time.monotonic()
            with pytest.raises(urllib.error.HTTPError) as health:
                urllib.request.urlopen(f"{stack.api_url}/health", timeout=60)
            assert health.value.code == 503 and time.monotonic() - start < aws.ANSWER_WITHIN_S
        finally:
            os.kill(s3_server.pid, signal.SIGCONT)
        assert frames_of(stack, "frozen") == []


def test_a_frozen_secret_store_gives_503_within_the_budget(tmp_path, frozen_server):
    """Camera secrets from SSM (as deployed), whose endpoint takes the request and never answers."""
    ssm = {"SECRETS_FILE": "", "SECRETS_SSM_PATH": "/stopmotion/test",
           "AWS_ENDPOINT_URL_SSM": frozen_server}
    with LocalStack(tmp_path / "data", log_file=tmp_path / "stack.log", env=ssm) as stack:
        cameras_for(stack)  # signs with a secret the service cannot read: it asks SSM first
        status, headers, payload = answered_in_time(stack, "frozen-ssm")
        assert (status, json.loads(payload)["Code"]) == (503, "SecretsUnavailable")
        assert int(headers["retry-after"]) > 0
