"""The stand-alone front-door stack: lint clean, and every property the camera depends on."""

import subprocess
import sys
from pathlib import Path

import pytest

from infra import cfn

CFN_LINT = Path(sys.executable).parent / "cfn-lint"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def lint(path: Path) -> None:
    """cfn-lint with every rule it has; any finding (error, warning or info) fails."""
    done = subprocess.run([CFN_LINT, str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def template() -> dict:
    return cfn.load(cfn.FRONT_DOOR)


@pytest.fixture(scope="module")
def config(template: dict) -> dict:
    return template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]


@pytest.fixture(scope="module")
def origin(config: dict) -> dict:
    (only,) = config["Origins"]
    return only


@pytest.fixture(scope="module")
def behaviour(config: dict) -> dict:
    assert "CacheBehaviors" not in config, "one behaviour for the whole API"
    return config["DefaultCacheBehavior"]


def test_lints_clean():
    lint(cfn.FRONT_DOOR)


def test_viewer_may_use_plain_http(behaviour):
    assert behaviour["ViewerProtocolPolicy"] == "allow-all"


def test_origin_is_https_only(origin):
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert "S3OriginConfig" not in origin


def test_origin_is_the_api_and_its_path_is_the_stage(template, origin):
    names = {
        "ApiId": "a1b2c3d4e5",
        "ApiStage": "prod",
        "AWS::Region": "eu-west-1",
        "AWS::URLSuffix": "amazonaws.com",
    }
    assert cfn.sub(origin["DomainName"], names) == "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
    assert cfn.sub(origin["OriginPath"], names) == "/prod"
    assert cfn.parameter_defaults(template)["ApiStage"] == "api", "Chalice's default stage"


def test_all_seven_methods_allowed(behaviour):
    assert sorted(behaviour["AllowedMethods"]) == sorted(
        ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
    )


def test_caching_disabled_by_the_managed_policy(behaviour):
    assert behaviour["CachePolicyId"] == CACHING_DISABLED
    assert "ForwardedValues" not in behaviour, "legacy settings would override the policies"


def test_viewer_headers_except_host_forwarded(behaviour, origin):
    assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    custom_headers = {h["HeaderName"].lower() for h in origin.get("OriginCustomHeaders", [])}
    assert "host" not in custom_headers


def test_outputs_give_the_host_and_the_url_to_post_to(template):
    outputs = template["Outputs"]
    assert outputs["DistributionDomain"]["Value"] == {"Fn::GetAtt": ["Distribution", "DomainName"]}
    url = cfn.sub(outputs["FramesURL"]["Value"], {"Distribution.DomainName": "d1.cloudfront.net"})
    assert url == "http://d1.cloudfront.net/frames"
