"""Secrets from the local file and from SSM (botocore's Stubber), cached, never shown."""

import json
import logging

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from chalicelib import keystore
from chalicelib.protocol import schedule

SECRET_HEX = "11" * 32


def write(path, cameras, viewer="view-token"):
    path.write_text(json.dumps({"cameras": cameras, "viewer": viewer}))


def test_file_store_reads_and_reloads_on_change(tmp_path):
    path = tmp_path / "secrets.json"
    write(path, {"cam-1": SECRET_HEX})
    store = keystore.from_env({"SECRETS_FILE": str(path)})
    assert store.camera_secret("cam-1") == bytes.fromhex(SECRET_HEX)
    assert store.camera_secret("cam-2") is None
    assert store.viewer_token() == "view-token"
    write(path, {"cam-1": SECRET_HEX, "cam-2": "22" * 32})
    import os

    os.utime(path, ns=(1, 1))  # a new mtime even on a coarse clock
    assert store.camera_secret("cam-2") == bytes.fromhex("22" * 32)


def test_malformed_entries_are_skipped_without_showing_the_value(tmp_path, caplog):
    path = tmp_path / "secrets.json"
    write(
        path, {"cam-1": "zz-not-hex-zz", "Bad/Id": SECRET_HEX, "short": "11" * 16, "ok": SECRET_HEX}
    )
    with caplog.at_level(logging.WARNING):
        cameras = keystore.from_env({"SECRETS_FILE": str(path)}).get().cameras
    assert list(cameras) == ["ok"]
    assert "zz-not-hex-zz" not in caplog.text and SECRET_HEX not in caplog.text


def test_missing_file_is_unavailable_not_empty(tmp_path):
    store = keystore.from_env({"SECRETS_FILE": str(tmp_path / "absent.json")})
    with pytest.raises(keystore.SecretsUnavailable) as err:
        store.camera_secret("cam-1")
    assert err.value.status == 503


def test_unconfigured_store_refuses():
    with pytest.raises(keystore.SecretsUnavailable):
        keystore.from_env({}).viewer_token()


def ssm_page(params, next_token=None):
    page = {
        "Parameters": [{"Name": k, "Value": v, "Type": "SecureString"} for k, v in params.items()]
    }
    if next_token:
        page["NextToken"] = next_token
    return page


def test_ssm_store_pages_decrypts_and_caches():
    ssm = boto3.client(
        "ssm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    expected = {"Path": "/stopmotion/dev", "Recursive": True, "WithDecryption": True}
    with Stubber(ssm) as stub:
        stub.add_response(
            "get_parameters_by_path",
            ssm_page({"/stopmotion/dev/cameras/cam-1": SECRET_HEX}, "t"),
            expected,
        )
        stub.add_response(
            "get_parameters_by_path",
            ssm_page({"/stopmotion/dev/viewer": "tok", "/stopmotion/dev/other": "x"}),
            expected | {"NextToken": "t"},
        )
        store = keystore.from_env({"SECRETS_SSM_PATH": "/stopmotion/dev/"}, ssm_client=ssm)
        assert store.camera_secret("cam-1") == bytes.fromhex(SECRET_HEX)
        assert store.viewer_token() == "tok"  # from the cache: no third call
        stub.assert_no_pending_responses()


def test_ssm_failure_is_unavailable():
    ssm = boto3.client(
        "ssm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(ssm) as stub:
        stub.add_client_error("get_parameters_by_path", "ThrottlingException")
        store = keystore.from_env({"SECRETS_SSM_PATH": "/stopmotion/dev"}, ssm_client=ssm)
        with pytest.raises(keystore.SecretsUnavailable) as raised:
            store.camera_secret("cam-1")
    assert isinstance(raised.value.__cause__, ClientError)  # kept for the log of the 503


def test_ttl_expiry_reloads():
    calls = []

    def load():
        calls.append(1)
        return keystore.Secrets({}, "tok")

    store = keystore.KeyStore(load, ttl=0.0)
    store.get()
    store.get()
    assert len(calls) == 2
    cached = keystore.KeyStore(load, ttl=60)
    cached.get()
    cached.get()
    assert len(calls) == 3


@pytest.mark.parametrize(
    "text", ["[]", '{"cameras": []}', '"x"', '{"cameras": {"a": 5}, "viewer": 7}']
)
def test_a_malformed_file_is_unavailable_or_skipped_never_a_crash(tmp_path, text):
    path = tmp_path / "secrets.json"
    path.write_text(text)
    store = keystore.from_env({"SECRETS_FILE": str(path)})
    try:
        secrets = store.get()
    except keystore.SecretsUnavailable:
        return
    assert secrets.cameras == {} and secrets.viewer is None


def test_file_store_reads_each_cameras_schedule_beside_its_secret(tmp_path):
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({
        "cameras": {"site": SECRET_HEX, "roof": SECRET_HEX},
        "settings": {"site": {"schedule": "every 15m from 07:00 to 18:00 on mon-fri tz UTC"}},
    }))
    store = keystore.from_env({"SECRETS_FILE": str(path)})
    assert str(store.camera_schedule("site")) == "every 15m from 07:00 to 18:00 on mon-fri"
    assert store.camera_schedule("roof") == schedule.DEFAULT  # no setting: every 6 h


@pytest.mark.parametrize(
    "settings",
    [
        {"site": {"schedule": "at 25:00"}},
        {"site": {"schedule": 7}},
        {"site": "at 09:00"},
        {"site": {}},
        [],
    ],
)
def test_a_malformed_setting_is_logged_and_the_default_used(tmp_path, caplog, settings):
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"cameras": {"site": SECRET_HEX}, "settings": settings}))
    store = keystore.from_env({"SECRETS_FILE": str(path)})
    with caplog.at_level(logging.WARNING):
        assert store.camera_schedule("site") == schedule.DEFAULT
        assert store.camera_secret("site") == bytes.fromhex(SECRET_HEX)
    if settings != {"site": {}}:
        assert "default" in caplog.text
    assert SECRET_HEX not in caplog.text


def test_ssm_store_reads_a_settings_parameter_per_camera():
    ssm = boto3.client(
        "ssm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    expected = {"Path": "/stopmotion/dev", "Recursive": True, "WithDecryption": True}
    with Stubber(ssm) as stub:
        stub.add_response(
            "get_parameters_by_path",
            ssm_page({
                "/stopmotion/dev/cameras/plant": SECRET_HEX,
                "/stopmotion/dev/settings/plant": json.dumps({"schedule": "at 09:00 tz UTC"}),
                "/stopmotion/dev/settings/roof": "{not json",
            }),
            expected,
        )
        store = keystore.from_env({"SECRETS_SSM_PATH": "/stopmotion/dev"}, ssm_client=ssm)
        assert str(store.camera_schedule("plant")) == "at 09:00"
        assert store.camera_schedule("roof") == schedule.DEFAULT
        stub.assert_no_pending_responses()
