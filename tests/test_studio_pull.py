"""`stopmotion pull` against the real local stack: rclone's S3 server, frames the service stored."""

import argparse
import hashlib
from pathlib import Path

import pytest

from chalicelib.protocol.keys import ROOT, parse_key
from simboard import frames as sample_frames
from stopmotion import post, pull
from tests.conftest import camera_post


def stopmotion_pull(stack, dest: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    pull.register(parser.add_subparsers())
    args = parser.parse_args(["pull", str(dest), "--quiet", "--endpoint-url", stack.s3_endpoint,
                              "--bucket", stack.bucket, *argv])
    return args.func(args)


@pytest.fixture(autouse=True)
def local_keys(local_stack, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.setenv(name, local_stack.env[name])


def put_frames(stack, camera: str, count: int, sha256: bool = True, first: int = 0) -> dict:
    """Stores `count` frames as the service does (key layout, sha256 metadata): key -> bytes."""
    client, stored = stack.s3_client(), {}
    for i, key in enumerate(sample_frames.frame_keys(first + count, camera)[first:], start=first):
        data = sample_frames.sky_jpeg(i, (64, 48))
        metadata = {"camera": camera, "sha256": hashlib.sha256(data).hexdigest()} if sha256 else {}
        client.put_object(Bucket=stack.bucket, Key=key, Body=data, Metadata=metadata)
        stored[key] = data
    return stored


def local(dest: Path) -> dict[str, bytes]:
    return {ROOT + p.relative_to(dest).as_posix(): p.read_bytes()
            for p in dest.rglob("*") if p.is_file()}


def test_pulls_everything_then_only_what_is_new(
    local_stack, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    stored = put_frames(local_stack, "pull-new", 20)
    assert stopmotion_pull(local_stack, tmp_path, "--camera", "pull-new") == 0
    assert local(tmp_path) == stored
    assert "pulled 20 frames" in capsys.readouterr().out

    assert stopmotion_pull(local_stack, tmp_path, "--camera", "pull-new") == 0
    assert "pulled 0 frames" in capsys.readouterr().out

    stored |= put_frames(local_stack, "pull-new", 3, first=20)
    assert stopmotion_pull(local_stack, tmp_path, "--camera", "pull-new") == 0
    out = capsys.readouterr().out
    assert "pulled 3 frames" in out and "20 already here" in out and "sha256 3" in out
    assert local(tmp_path) == stored


def test_time_range_is_half_open(local_stack, tmp_path: Path) -> None:
    stored = put_frames(local_stack, "pull-range", 8)  # 6 h apart from 2026-11-24T06:00Z
    assert stopmotion_pull(local_stack, tmp_path, "--camera", "pull-range",
                           "--since", "2026-11-24T12:00:00Z", "--until", "2026-11-25T12:00") == 0
    assert sorted(local(tmp_path)) == sorted(stored)[1:5]


def test_a_frame_that_fails_its_checksum_is_reported_and_never_lands(
    local_stack, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    stored = put_frames(local_stack, "pull-bad", 4)
    bad = sorted(stored)[2]
    local_stack.s3_client().put_object(Bucket=local_stack.bucket, Key=bad, Body=stored[bad],
                                       Metadata={"sha256": "0" * 64})
    assert stopmotion_pull(local_stack, tmp_path, "--camera", "pull-bad") == 1
    assert sorted(local(tmp_path)) == sorted(set(stored) - {bad})  # the others arrived
    assert not list(tmp_path.rglob(".*.part"))
    report = capsys.readouterr()
    assert f"failed {bad}: sha256 differs" in report.err
    assert "1 failed" in report.out


def test_without_metadata_the_etag_md5_verifies(
    local_stack, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    stored = put_frames(local_stack, "pull-md5", 5, sha256=False)
    assert stopmotion_pull(local_stack, tmp_path, "--camera", "pull-md5") == 0
    assert local(tmp_path) == stored
    assert "by MD5 ETag 5" in capsys.readouterr().out


def test_resumes_after_an_interrupted_run(local_stack, tmp_path: Path) -> None:
    stored = put_frames(local_stack, "pull-resume", 6)
    keys = sorted(stored)
    for key in keys[:2]:  # finished before the interruption
        path = tmp_path / key.removeprefix(ROOT)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(stored[key])
    half = tmp_path / keys[2].removeprefix(ROOT)
    partial = half.with_name(f".{half.name}.part")
    partial.write_bytes(stored[keys[2]][:100])  # cut off mid-download
    damaged = tmp_path / keys[3].removeprefix(ROOT)
    damaged.parent.mkdir(parents=True, exist_ok=True)
    damaged.write_bytes(b"short")  # a final file of the wrong size is fetched again
    assert stopmotion_pull(local_stack, tmp_path, "--camera", "pull-resume") == 0
    assert local(tmp_path) == stored
    assert not partial.exists()


def test_pulls_what_the_service_stored(
    local_stack, sample_frame: bytes, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    for pad in (0, 16):  # signed as the firmware signs (tests/conftest.py)
        body = post.camera_body(sample_frame, pad=pad)
        assert camera_post(local_stack.api_url, body, camera="pull-svc")[0] == 201
    assert stopmotion_pull(local_stack, tmp_path / "one", "--camera", "pull-svc") == 0
    assert "verified by sha256 2," in capsys.readouterr().out
    pulled = local(tmp_path / "one")
    assert len(pulled) == 2 and all(data == sample_frame for data in pulled.values())
    stopmotion_pull(local_stack, tmp_path / "all")  # every camera (other tests' too)
    assert {key: data for key, data in local(tmp_path / "all").items() if "/pull-svc/" in key} \
        == pulled


def test_keys_that_could_escape_the_folder_are_not_frames() -> None:
    assert parse_key("frames/cam/2026/11/24/20261124T060000.000Z-ab12.jpg")
    assert not parse_key("frames/../cam/2026/11/24/20261124T060000.000Z-ab12.jpg")
    assert not parse_key("frames/cam/2026/11/24/20261124T060000.000Z-../x.jpg")
    assert not parse_key("x/frames/cam/2026/11/24/20261124T060000.000Z-ab12.jpg")


def test_missing_bucket_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("FRAMES_BUCKET", raising=False)
    parser = argparse.ArgumentParser()
    pull.register(parser.add_subparsers())
    args = parser.parse_args(["pull", str(tmp_path)])
    with pytest.raises(SystemExit, match="--bucket"):
        args.func(args)
