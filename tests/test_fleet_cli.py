"""`stopmotion camera list` and `stopmotion camera remove`, locally (the running local stack, as
`make run`) and with --ssm (moto's SSM; S3 passes through to the local server)."""

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from chalicelib.protocol import secrets
from stopmotion import cli
from stopmotion.camera import FileSecrets
from tests.conftest import camera_post
from tests.test_fleet_service import judged_slots_by_hand
from tests.test_routes import S3_ENV


def stopmotion(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def lines_of(out: str, camera: str) -> list[str]:
    """The camera's line and, when it has trouble, the line after it."""
    lines = out.splitlines()
    (at,) = [i for i, line in enumerate(lines) if line.split()[:1] == [camera]]
    follows = lines[at + 1:at + 2]
    return lines[at:at + 1] + [line for line in follows if line.lstrip().startswith("trouble:")]


def post_slots(stack, camera, slots, sample_frame):
    for slot in slots:
        # whole seconds, rounded down: rounded up, the frame of a midnight slot was dated
        # 23:59:59 the day before whenever the request took less than the rounding
        age = int((datetime.now(UTC) - slot).total_seconds())
        status, _, _ = camera_post(stack.api_url, sample_frame, camera=camera, age=age)
        assert status == 201


def test_list_shows_every_camera_of_the_running_stack(local_stack, cameras, sample_frame,
                                                      capsys):
    slots = judged_slots_by_hand(datetime.now(UTC))
    post_slots(local_stack, "cli-steady", slots, sample_frame)
    post_slots(local_stack, "cli-gappy", slots[2:], sample_frame)
    cameras.secret("cli-unflashed")
    code, out, _ = stopmotion(capsys, "camera", "list", "--secrets-file",
                              str(local_stack.secrets_file))
    assert code == 0
    assert out.splitlines()[0].split()[:2] == ["CAMERA", "KEY"]
    key_id = secrets.key_id(cameras.secret("cli-steady"))
    (steady,) = lines_of(out, "cli-steady")
    words = steady.split()
    assert words[1] == key_id and words[2] == f"{slots[-1]:%Y-%m-%d}"
    today = sum(1 for slot in slots if slot > datetime.now(UTC) - timedelta(hours=24))
    assert words[-3:] == [str(today), "0/4", "-"], "frames in the last day, missed, no health"
    gappy = lines_of(out, "cli-gappy")
    assert gappy[0].split()[-2] == "0/2", "nothing expected before its first frame"
    unflashed = lines_of(out, "cli-unflashed")
    assert "never" in unflashed[0] and unflashed[1].split() == ["trouble:", "never", "seen"]


def test_remove_retires_a_camera_and_keeps_its_frames(local_stack, cameras, sample_frame,
                                                      capsys):
    post_slots(local_stack, "cli-retired", judged_slots_by_hand(datetime.now(UTC))[:1],
               sample_frame)
    file = FileSecrets(local_stack.secrets_file)
    file.set_schedule("cli-retired", "every 2h")
    code, out, _ = stopmotion(capsys, "camera", "remove", "cli-retired", "--secrets-file",
                              str(local_stack.secrets_file))
    assert code == 0 and "its frames stay" in out.lower()
    data = file.load()
    assert "cli-retired" not in data["cameras"] and "cli-retired" not in data.get("settings", {})
    listing = local_stack.s3_client().list_objects_v2(Bucket=local_stack.bucket,
                                                     Prefix="frames/cli-retired/")
    assert listing["KeyCount"] == 1, "its frames stay"
    code, out, _ = stopmotion(capsys, "camera", "list", "--secrets-file",
                              str(local_stack.secrets_file))
    (line,) = lines_of(out, "cli-retired")  # no trouble line: nothing is expected of it
    assert line.split()[1] == "removed" and line.split()[-2] == "0/0"
    code, _, err = stopmotion(capsys, "camera", "remove", "cli-retired", "--secrets-file",
                              str(local_stack.secrets_file))
    assert code == 1


def test_list_without_a_running_stack_says_what_to_do(tmp_path, capsys):
    code, _, err = stopmotion(capsys, "camera", "list", "--secrets-file",
                              str(tmp_path / "secrets.json"))
    assert code == 1 and "no `make run` is running" in err and "--ssm" in err


def test_list_with_ssm_needs_the_bucket(monkeypatch, capsys):
    monkeypatch.delenv("FRAMES_BUCKET", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    code, _, err = stopmotion(capsys, "camera", "list", "--ssm", "--stage", "prod")
    assert code == 1 and "--bucket" in err


@pytest.fixture
def ssm_stage(local_stack, monkeypatch):
    """moto's SSM for the deployed stage's secrets; S3 goes to the local server."""
    from moto import mock_aws

    for name in S3_ENV:
        monkeypatch.setenv(name, local_stack.env[name])
    monkeypatch.delenv("FRAMES_BUCKET", raising=False)
    config = {"core": {"mock_credentials": False, "passthrough": {"services": ["s3"]}}}
    with mock_aws(config=config):
        yield boto3.client("ssm", region_name="us-east-1")


def test_list_and_remove_with_ssm(ssm_stage, local_stack, cameras, sample_frame, capsys):
    slots = judged_slots_by_hand(datetime.now(UTC))
    post_slots(local_stack, "cli-deployed", slots, sample_frame)
    secret = cameras.secret("cli-deployed")
    path = secrets.ssm_path("prod")
    ssm_stage.put_parameter(Name=secrets.camera_parameter(path, "cli-deployed"),
                            Value=secret.hex(), Type="SecureString")
    ssm_stage.put_parameter(Name=secrets.settings_parameter(path, "cli-deployed"),
                            Value=json.dumps({"schedule": "every 6h"}), Type="String")
    code, out, _ = stopmotion(capsys, "camera", "list", "--ssm", "--stage", "prod", "--bucket",
                              local_stack.bucket)
    assert code == 0
    (line,) = lines_of(out, "cli-deployed")
    assert line.split()[1] == secrets.key_id(secret) and line.split()[-2] == "0/4"
    code, out, _ = stopmotion(capsys, "camera", "remove", "cli-deployed", "--ssm", "--stage",
                              "prod")
    assert code == 0 and f"SSM {path}" in out
    left = ssm_stage.get_parameters_by_path(Path=path, Recursive=True)["Parameters"]
    assert left == []
    code, _, _ = stopmotion(capsys, "camera", "remove", "cli-deployed", "--ssm", "--stage",
                            "prod")
    assert code == 1
