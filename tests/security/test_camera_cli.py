"""`stopmotion camera`: secrets written where the service reads them, config lines printed."""

import json
import re
import stat

import boto3
from botocore.stub import ANY, Stubber

from chalicelib import keystore
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

    defaults = {"secrets_file": None, "ssm": False, "stage": "dev", "rotate": False}
    return argparse.Namespace(action=action, camera=camera, **(defaults | options))
