"""Way 1, one stack: the template `chalice package --merge-template` builds, checked offline."""

import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from chalicelib import clock
from infra import cfn, deploy
from tests.test_infra_front_door import lint

STAGE = "dev"
READ_VERBS = ("Get", "List", "Head", "Describe")


@pytest.fixture(scope="module")
def sam(tmp_path_factory) -> Path:
    return deploy.package(STAGE, tmp_path_factory.mktemp("package") / STAGE, "us-east-1")


@pytest.fixture(scope="module")
def template(sam) -> dict:
    return cfn.load(sam)


@pytest.fixture(scope="module")
def resources(template) -> dict:
    return template["Resources"]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def statements(resources: dict) -> list[tuple[str, dict]]:
    """(resource id, statement) for every inline and managed IAM policy statement."""
    found = []
    for rid, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            documents = [p["PolicyDocument"] for p in props.get("Policies", [])]
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents = [props["PolicyDocument"]]
        else:
            continue
        found += [(rid, s) for d in documents for s in as_list(d["Statement"])]
    return found


def is_s3_write(action: str) -> bool:
    service, _, verb = action.partition(":")
    return action == "*" or (service == "s3" and not verb.startswith(READ_VERBS))


def test_lints_clean_with_the_nested_front_door_beside_it(sam):
    assert (sam.parent / "front-door.yaml").read_bytes() == cfn.FRONT_DOOR.read_bytes(), (
        "cfn-lint passes silently when a nested template is missing"
    )
    lint(sam)


def test_bucket_blocks_public_access(resources):
    block = resources["FramesBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }


def test_bucket_is_encrypted(resources):
    (rule,) = resources["FramesBucket"]["Properties"]["BucketEncryption"][
        "ServerSideEncryptionConfiguration"
    ]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")


def test_bucket_outlives_the_stack_and_old_frames_expire_only_when_asked(template, resources):
    bucket = resources["FramesBucket"]
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"
    lifecycle = bucket["Properties"]["LifecycleConfiguration"]["Fn::If"]
    assert lifecycle[0] == "ExpireOldFrames" and lifecycle[2] == {"Ref": "AWS::NoValue"}
    (rule,) = lifecycle[1]["Rules"]
    assert (rule["Prefix"], rule["ExpirationInDays"]) == ("frames/", {"Ref": "FrameRetentionDays"})
    assert cfn.parameter_defaults(template)["FrameRetentionDays"] == "0", "keep frames by default"
    assert template["Conditions"]["ExpireOldFrames"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "FrameRetentionDays"}, 0]}]
    }


def test_function_stores_into_the_bucket_with_the_replaced_role(resources, sam):
    function = resources["APIHandler"]["Properties"]
    assert function["Environment"]["Variables"]["FRAMES_BUCKET"] == {"Ref": "FramesBucket"}
    assert function["Role"] == {"Fn::GetAtt": ["ApiHandlerRole", "Arn"]}
    dev_bucket = deploy.chalice_config(deploy.PROJECT)["stages"][STAGE]["environment_variables"][
        "FRAMES_BUCKET"
    ]
    assert dev_bucket not in sam.read_text(), "the chalice-deploy bucket leaked into the stack"


def test_the_packaged_function_runs_on_the_real_clock(resources, sam):
    """The service's clock offset is for the local stack only (chalicelib/clock.py)."""
    variables = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert "SECRETS_SSM_PATH" in variables and clock.ENV not in variables
    assert clock.ENV not in sam.read_text()


def test_no_statement_grants_s3_write_on_everything(resources):
    writes = [
        (rid, s)
        for rid, s in statements(resources)
        if s["Effect"] == "Allow" and any(map(is_s3_write, as_list(s["Action"])))
    ]
    assert writes, "the function must be able to store frames"
    for rid, statement in writes:
        assert "NotResource" not in statement, rid
        for resource in as_list(statement["Resource"]):
            assert resource not in ("*", "arn:aws:s3:::*"), f"{rid}: S3 write on {resource}"
            # Only objects under a named prefix of the frames bucket (frames/, or claims/ later).
            assert isinstance(resource, dict) and set(resource) == {"Fn::Sub"}, (rid, resource)
            assert re.fullmatch(r"\$\{FramesBucket\.Arn\}/[a-z0-9-]+/\*", resource["Fn::Sub"]), rid


def test_frames_are_writable(resources):
    (role_statement,) = [s for _, s in statements(resources) if s.get("Sid") == "WriteFrames"]
    assert role_statement["Resource"] == {"Fn::Sub": "${FramesBucket.Arn}/frames/*"}
    assert "s3:PutObject" in as_list(role_statement["Action"])


def test_is_s3_write_classifies_actions():
    assert [is_s3_write(a) for a in ("s3:PutObject", "s3:*", "*", "s3:DeleteObject")] == [True] * 4
    assert [is_s3_write(a) for a in ("s3:GetObject", "s3:ListBucket", "logs:PutLogEvents")] == [
        False
    ] * 3


def test_roles_grant_what_the_chalice_deploy_policy_grants(resources):
    """The two ways give the functions the same actions (only the bucket differs); `chalice
    deploy` gives both functions the one policy file, the stack each its own role."""
    policy_file = deploy.chalice_config(deploy.PROJECT)["stages"][STAGE]["iam_policy_file"]
    chalice_way = json.loads((deploy.PROJECT / ".chalice" / policy_file).read_text())
    granted = {a for s in as_list(chalice_way["Statement"]) for a in as_list(s["Action"])}
    merged = {
        a
        for rid, s in statements(resources)
        if rid in ("ApiHandlerRole", "CheckFleetRole")
        for a in as_list(s["Action"])
    }
    assert merged == granted
    for rid, _ in statements(resources):
        assert rid in ("ApiHandlerRole", "CheckFleetRole"), f"{rid}: chalice's own policy left"


def test_the_fleet_check_runs_hourly_with_its_rule_and_permission(resources):
    """Chalice turns @app.schedule into a function with a SAM Schedule event, which the SAM
    transform expands into the EventBridge rule and the permission to invoke the function
    (the SAM translator is not installed here, so the expansion itself is not run)."""
    function = resources["CheckFleet"]
    assert function["Type"] == "AWS::Serverless::Function"
    properties = function["Properties"]
    (event,) = properties["Events"].values()
    assert event == {"Type": "Schedule", "Properties": {"Schedule": "rate(1 hour)"}}
    assert properties["Handler"] == "app.check_fleet" and properties["Timeout"] == 300
    assert properties["Role"] == {"Fn::GetAtt": ["CheckFleetRole", "Arn"]}


@pytest.fixture(scope="module")
def deployed_resources(tmp_path_factory) -> dict:
    """What `chalice deploy` creates, as `chalice package --pkg-format terraform` spells it out
    (the same planner, offline): resource type -> name -> settings."""
    out = tmp_path_factory.mktemp("terraform")
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    subprocess.run([deploy.BIN / "chalice", "package", "--pkg-format", "terraform", "--stage",
                    STAGE, out], cwd=deploy.PROJECT, env=env, check=True, capture_output=True)
    return json.loads((out / "chalice.tf.json").read_text())["resource"]


def test_chalice_deploy_creates_the_hourly_rule_its_permission_and_may_publish(
        deployed_resources):
    (rule_name, rule), = deployed_resources["aws_cloudwatch_event_rule"].items()
    assert rule["schedule_expression"] == "rate(1 hour)"
    (target,) = deployed_resources["aws_cloudwatch_event_target"].values()
    assert target["arn"] == "${aws_lambda_function.check_fleet.arn}"
    assert target["rule"] == f"${{aws_cloudwatch_event_rule.{rule_name}.name}}"
    (permission,) = [p for p in deployed_resources["aws_lambda_permission"].values()
                     if p["principal"] == "events.amazonaws.com"]
    assert permission["function_name"] == "${aws_lambda_function.check_fleet.arn}"
    assert permission["source_arn"] == f"${{aws_cloudwatch_event_rule.{rule_name}.arn}}"
    assert deployed_resources["aws_lambda_function"]["check_fleet"]["timeout"] == 300
    policy = json.loads(deployed_resources["aws_iam_role_policy"]["check_fleet_role"]["policy"])
    (publish,) = [s for s in policy["Statement"] if "sns:Publish" in as_list(s["Action"])]
    # the topic the front door's stack makes (make front-door names it after the app and stage)
    assert publish["Resource"] == "arn:aws:sns:*:*:stopmotion-ingest-dev-*"


def test_the_fleet_check_publishes_to_the_front_doors_topic_and_only_it(resources):
    function = resources["CheckFleet"]["Properties"]
    topic = {"Fn::GetAtt": ["FrontDoor", "Outputs.AlarmTopicArn"]}
    variables = function["Environment"]["Variables"]
    assert variables["ALARM_TOPIC_ARN"] == topic
    assert variables["FRAMES_BUCKET"] == {"Ref": "FramesBucket"}
    publish = [(rid, s) for rid, s in statements(resources)
               if any(a.startswith("sns:") for a in as_list(s["Action"]))]
    assert [(rid, s["Action"], s["Resource"]) for rid, s in publish] == [
        ("CheckFleetRole", ["sns:Publish"], topic)]
    front_door = cfn.load(cfn.FRONT_DOOR)
    assert front_door["Outputs"]["AlarmTopicArn"]["Value"] == {"Ref": "AlarmTopic"}
    assert "Condition" not in front_door["Resources"]["AlarmTopic"], "always a topic to publish to"


def test_the_fleet_check_cannot_write_frames(resources):
    writes = {r["Fn::Sub"] for rid, s in statements(resources) if rid == "CheckFleetRole"
              for r in as_list(s["Resource"]) if isinstance(r, dict) and "Fn::Sub" in r
              and any(map(is_s3_write, as_list(s["Action"])))}
    assert writes == {"${FramesBucket.Arn}/fleet/*"}


def test_front_door_is_nested_and_wired_to_the_generated_api_and_stage(resources):
    nested = resources["FrontDoor"]["Properties"]
    assert nested["TemplateURL"] == "front-door.yaml"
    assert nested["Parameters"]["ApiId"] == {"Ref": "RestAPI"}
    assert nested["Parameters"]["ApiStage"] == {"Ref": "RestAPI.Stage"}
    stage = resources["RestAPI"]["Properties"]["StageName"]
    assert stage == deploy.api_stage(STAGE, deploy.PROJECT)
    (origin,) = cfn.load(cfn.FRONT_DOOR)["Resources"]["Distribution"]["Properties"][
        "DistributionConfig"
    ]["Origins"]
    assert cfn.sub(origin["OriginPath"], {"ApiStage": stage}) == f"/{stage}"


def test_parameters_passed_down_keep_the_front_doors_constraints(template, resources):
    front_door = cfn.load(cfn.FRONT_DOOR)["Parameters"]
    passed = {
        name: value["Ref"]
        for name, value in resources["FrontDoor"]["Properties"]["Parameters"].items()
        if value["Ref"] in template["Parameters"]
    }
    assert set(passed) == {"PriceClass", "AlarmEmail"}
    for name, outer in passed.items():
        mine = {k: v for k, v in template["Parameters"][outer].items() if k != "Description"}
        theirs = {k: v for k, v in front_door[name].items() if k != "Description"}
        assert mine == theirs, name


def test_api_is_regional_behind_the_distribution(resources):
    assert resources["RestAPI"]["Properties"]["EndpointConfiguration"] == "REGIONAL"


def test_outputs_give_the_host_and_url(template):
    front_door_outputs = cfn.load(cfn.FRONT_DOOR)["Outputs"]
    for name in ("DistributionDomain", "FramesURL"):
        value = template["Outputs"][name]["Value"]
        assert value == {"Fn::GetAtt": ["FrontDoor", f"Outputs.{name}"]}
        assert name in front_door_outputs


def test_aws_cloudformation_package_uploads_code_and_nested_template(sam, local_stack):
    """The real `aws cloudformation package` step, against the local S3 server."""
    bucket = "deploy-artifacts"
    local_stack.s3_client().create_bucket(Bucket=bucket)
    upload, _ = deploy.deploy_commands(sam.parent, "test-stack", "us-east-1", bucket, {})
    done = subprocess.run(
        [str(a) for a in upload], env=local_stack.env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    packaged = cfn.load(sam.parent / "packaged.yaml")["Resources"]
    code_uri = packaged["APIHandler"]["Properties"]["CodeUri"]
    nested_url = packaged["FrontDoor"]["Properties"]["TemplateURL"]
    assert code_uri.startswith(f"s3://{bucket}/test-stack/")
    uploaded = local_stack.data_dir / bucket / "test-stack"
    nested_key = nested_url.rsplit("/", 1)[1]
    assert cfn.load(uploaded / nested_key) == cfn.load(cfn.FRONT_DOOR), "re-serialised, same data"
    with zipfile.ZipFile(uploaded / code_uri.rsplit("/", 1)[1]) as code:
        assert {"app.py", "chalicelib/metrics.py", "chalicelib/protocol/upload.py"} <= set(
            code.namelist())  # the protocol package too
    lint(sam.parent / "packaged.yaml")
