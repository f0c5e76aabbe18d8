"""`stopmotion camera`: secrets written where the service reads them, config lines printed."""

import json
import re
import stat
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import boto3
import pytest
from botocore.stub import ANY, Stubber

from chalicelib import keystore
from chalicelib.protocol import schedule
from stopmotion import camera as camera_cli
from stopmotion.cli import main


def test_add_writes_a_secret_the_service_reads(tmp_path, capsys):
    path = tmp_path / "secrets.json"
    assert main(["camera", "add", "garden-1", "--secrets-file", str(path)]) == 0
    out = capsys.readouterr().out
    assert '#define CONFIG_CAMERA_ID "garden-1"' in out
    secret_bytes = re.search(r"CONFIG_CAMERA_SECRET \{([^}]*)\}", out).group(1).split(", ")
    secret = bytes(int(b, 16) for b in secret_bytes)
    assert keystore.from_env({"SECRETS_FILE": str(path)}).camera_secret("garden-1") == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_add_refuses_an_existing_camera_and_rotate_a_missing_one(tmp_path, capsys):
    path = str(tmp_path / "secrets.json")
    assert main(["camera", "rotate", "garden-1", "--secrets-file", path]) == 1
    assert main(["camera", "add", "garden-1", "--secrets-file", path]) == 0
    before = json.loads((tmp_path / "secrets.json").read_text())
    assert main(["camera", "add", "garden-1", "--secrets-file", path]) == 1
    assert "already exists" in capsys.readouterr().out
    assert json.loads((tmp_path / "secrets.json").read_text()) == before
    assert main(["camera", "rotate", "garden-1", "--secrets-file", path]) == 0
    after = json.loads((tmp_path / "secrets.json").read_text())
    assert after["cameras"]["garden-1"] != before["cameras"]["garden-1"]


def test_bad_camera_id_is_refused(tmp_path):
    path = tmp_path / "secrets.json"
    for bad in ("../x", "Cam", "a" * 33):
        assert main(["camera", "add", bad, "--secrets-file", str(path)]) == 1
    assert not path.exists()


def test_viewer_token_kept_unless_rotated(tmp_path, capsys):
    path = str(tmp_path / "secrets.json")
    main(["camera", "viewer", "--secrets-file", path])
    first = capsys.readouterr().out.split("Bearer ")[1].strip()
    main(["camera", "viewer", "--secrets-file", path])
    assert capsys.readouterr().out.split("Bearer ")[1].strip() == first
    main(["camera", "viewer", "--rotate", "--secrets-file", path])
    assert capsys.readouterr().out.split("Bearer ")[1].strip() != first
    assert keystore.from_env({"SECRETS_FILE": path}).viewer_token() != first


def test_ensure_local_is_stable(tmp_path):
    path = tmp_path / "secrets.json"
    assert camera_cli.ensure_local(path) == camera_cli.ensure_local(path)


def test_ssm_add_writes_a_securestring(capsys):
    ssm = boto3.client(
        "ssm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(ssm) as stub:
        stub.add_client_error(
            "get_parameter",
            "ParameterNotFound",
            expected_params={"Name": "/stopmotion/prod/cameras/roof"},
        )
        stub.add_response(
            "put_parameter",
            {"Version": 1},
            {
                "Name": "/stopmotion/prod/cameras/roof",
                "Value": ANY,
                "Type": "SecureString",
                "Overwrite": False,
                "Description": ANY,
            },
        )
        args = camera_cli_args("add", "roof", ssm=True, stage="prod")
        assert camera_cli.run(args, ssm=ssm) == 0
        stub.assert_no_pending_responses()
    assert '#define CONFIG_CAMERA_ID "roof"' in capsys.readouterr().out


def test_ssm_add_refuses_an_existing_camera(capsys):
    ssm = boto3.client(
        "ssm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(ssm) as stub:
        stub.add_response("get_parameter", {"Parameter": {"Name": "/stopmotion/dev/cameras/roof"}})
        assert camera_cli.run(camera_cli_args("add", "roof", ssm=True), ssm=ssm) == 1
        stub.assert_no_pending_responses()


def camera_cli_args(action, camera, **options):
    import argparse

    defaults = {"secrets_file": None, "ssm": False, "stage": "dev", "rotate": False, "words": []}
    return argparse.Namespace(action=action, camera=camera, **(defaults | options))


SITE = ["every", "15m", "from", "07:00", "to", "18:00", "on", "mon,tue,wed,thu,fri",
        "tz", "Europe/London"]


def test_schedule_is_written_where_the_service_reads_it(tmp_path, capsys):
    path = str(tmp_path / "secrets.json")
    assert main(["camera", "add", "site", "--secrets-file", path]) == 0
    assert main(["camera", "schedule", "site", *SITE, "--secrets-file", path]) == 0
    canonical = "every 15m from 07:00 to 18:00 on mon-fri tz Europe/London"
    assert canonical in capsys.readouterr().out
    assert str(keystore.from_env({"SECRETS_FILE": path}).camera_schedule("site")) == canonical
    secret = keystore.from_env({"SECRETS_FILE": path}).camera_secret("site")
    assert main(["camera", "schedule", "site", "at", "09:00", "--secrets-file", path]) == 0
    store = keystore.from_env({"SECRETS_FILE": path})
    assert str(store.camera_schedule("site")) == "at 09:00"
    assert store.camera_secret("site") == secret


def test_bad_schedule_is_refused_with_exit_2_and_nothing_changes(tmp_path, capsys):
    path = tmp_path / "secrets.json"
    assert main(["camera", "add", "site", "--secrets-file", str(path)]) == 0
    before = path.read_text()
    capsys.readouterr()
    for words, message in [
        (["at", "25:00"], "'25:00' is not a time of day"),
        (["every", "15m", "tz", "Mars/Base"], "unknown time zone 'Mars/Base'"),
        (["every", "15m", "from", "18:00", "to", "07:00"], "is empty"),
        ([], "give the schedule after the camera id"),
    ]:
        assert main(["camera", "schedule", "site", *words, "--secrets-file", str(path)]) == 2
        assert message in capsys.readouterr().err
    assert path.read_text() == before


def test_schedule_for_an_unknown_camera_is_refused(tmp_path, capsys):
    path = tmp_path / "secrets.json"
    assert main(["camera", "schedule", "ghost", "at", "09:00", "--secrets-file", str(path)]) == 1
    assert "camera 'ghost' does not exist" in capsys.readouterr().out
    assert not path.exists()


def test_show_prints_the_schedule_and_the_next_five_captures(tmp_path, capsys):
    path = str(tmp_path / "secrets.json")
    main(["camera", "add", "plant", "--secrets-file", path])
    plant = ["every", "30m", "from", "sunrise+30m", "to", "sunset-30m", "lat", "-33.87",
             "lon", "151.21", "tz", "Australia/Sydney"]
    assert main(["camera", "schedule", "plant", *plant, "--secrets-file", path]) == 0
    capsys.readouterr()
    before = datetime.now(UTC)
    assert main(["camera", "show", "plant", "--secrets-file", path]) == 0
    after = datetime.now(UTC)
    out = capsys.readouterr().out
    text = "every 30m from sunrise+30m to sunset-30m tz Australia/Sydney lat -33.87 lon 151.21"
    assert f"camera plant: {text}" in out
    rows = re.findall(r"^  (\S+ \S+) (AEST|AEDT) \(\w+\) +(\S+ \S+) UTC$", out, re.M)
    sydney = ZoneInfo("Australia/Sydney")
    shown = [datetime.fromisoformat(utc_time).replace(tzinfo=UTC) for _, _, utc_time in rows]
    assert [datetime.fromisoformat(local).replace(tzinfo=sydney) for local, _, _ in rows] == shown
    expected = [schedule.next_captures(schedule.parse(text), t, 5) for t in (before, after)]
    assert shown in expected


def test_show_says_when_the_default_applies(tmp_path, capsys):
    path = str(tmp_path / "secrets.json")
    main(["camera", "add", "roof", "--secrets-file", path])
    assert main(["camera", "show", "roof", "--secrets-file", path]) == 0
    out = capsys.readouterr().out
    assert "camera roof: every 6h (the default: no schedule set)" in out
    assert len(re.findall(r"^  .* UTC +.* UTC$", out, re.M)) == 5
    assert main(["camera", "show", "ghost", "--secrets-file", path]) == 1


def test_help_documents_the_schedule_syntax(capsys):
    with pytest.raises(SystemExit) as done:
        main(["camera", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for example in ("sunrise+30m", "on mon-fri", "tz Europe/Berlin", "stopmotion camera show"):
        assert example in out


def test_ssm_schedule_is_a_string_parameter_the_service_reads(capsys):
    from moto import mock_aws

    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        assert camera_cli.run(camera_cli_args("add", "site", ssm=True, stage="prod"), ssm=ssm) == 0
        args = camera_cli_args("schedule", "site", ssm=True, stage="prod", words=SITE)
        assert camera_cli.run(args, ssm=ssm) == 0
        parameter = ssm.get_parameter(Name="/stopmotion/prod/settings/site")["Parameter"]
        assert parameter["Type"] == "String"
        secrets = keystore.read_ssm(ssm, "/stopmotion/prod")
        assert str(secrets.schedules["site"]).startswith("every 15m from 07:00 to 18:00")
        assert "site" in secrets.cameras
        capsys.readouterr()
        assert camera_cli.run(camera_cli_args("show", "site", ssm=True, stage="prod"), ssm=ssm) == 0
        assert "camera site: every 15m from 07:00 to 18:00 on mon-fri" in capsys.readouterr().out
        missing = camera_cli_args("schedule", "ghost", ssm=True, stage="prod", words=["at", "9:00"])
        assert camera_cli.run(missing, ssm=ssm) == 1
