"""Way 2, after `chalice deploy`: the front-door stack's parameters come from Chalice's deployed
record; and the printed AWS steps of both ways name only parameters the templates have."""

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from chalicelib.protocol import secrets
from infra import cfn, deploy

API_ID = "k3x9q2w7ab"
REGION = "eu-central-1"
FUNCTION = "stopmotion-ingest-dev"


def deployed_record(api_id: str = API_ID, region: str = REGION, stage: str = "api") -> dict:
    """What `chalice deploy` 1.34 writes to .chalice/deployed/<stage>.json for this app."""
    return {
        "resources": [
            {
                "name": "default-role",
                "resource_type": "iam_role",
                "role_arn": "arn:aws:iam::123456789012:role/stopmotion-ingest-dev",
                "role_name": "stopmotion-ingest-dev",
            },
            {
                "name": "api_handler",
                "resource_type": "lambda_function",
                "lambda_arn": f"arn:aws:lambda:{region}:123456789012:function:{FUNCTION}",
            },
            {
                "name": "rest_api",
                "resource_type": "rest_api",
                "rest_api_id": api_id,
                "rest_api_url": f"https://{api_id}.execute-api.{region}.amazonaws.com/{stage}/",
            },
        ],
        "schema_version": "2.0",
        "backend": "api",
    }


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project's .chalice/config.json with a fake deployed record beside it."""
    (tmp_path / ".chalice" / "deployed").mkdir(parents=True)
    shutil.copy(deploy.PROJECT / ".chalice" / "config.json", tmp_path / ".chalice")
    write_record(tmp_path, deployed_record())
    return tmp_path


def write_record(project: Path, record: dict, stage: str = "dev") -> None:
    (project / ".chalice" / "deployed" / f"{stage}.json").write_text(json.dumps(record))


def overrides_of(command: str) -> dict[str, str]:
    words = shlex.split(command.removeprefix("$ "))
    at = words.index("--parameter-overrides")
    return dict(w.split("=", 1) for w in words[at + 1 :] if "=" in w)


def printed_commands_of(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("$ ")]


def printed_commands(capsys) -> list[str]:
    return printed_commands_of(capsys.readouterr().out)


def test_parameters_come_from_the_record(project):
    parameters, region = deploy.front_door_parameters("dev", project)
    assert parameters == {"ApiId": API_ID, "ApiStage": "api"}
    assert region == REGION, "the stack goes where the API and its metrics are"


def test_parameters_fit_the_front_door_template(project):
    parameters, _ = deploy.front_door_parameters("dev", project)
    declared = cfn.load(cfn.FRONT_DOOR)["Parameters"]
    required = {name for name, spec in declared.items() if "Default" not in spec}
    assert required <= set(parameters) <= set(declared)
    for name, value in parameters.items():
        assert re.fullmatch(declared[name]["AllowedPattern"], value), (name, value)


def test_origin_path_is_the_deployed_stage(project):
    write_record(project, deployed_record(stage="prod"))
    config = json.loads((project / ".chalice" / "config.json").read_text())
    config["stages"]["dev"]["api_gateway_stage"] = "prod"
    (project / ".chalice" / "config.json").write_text(json.dumps(config))
    parameters, _ = deploy.front_door_parameters("dev", project)
    (origin,) = cfn.load(cfn.FRONT_DOOR)["Resources"]["Distribution"]["Properties"][
        "DistributionConfig"
    ]["Origins"]
    assert cfn.sub(origin["OriginPath"], parameters) == "/prod"


@pytest.mark.parametrize("damage", ["renamed id key", "renamed type", "no url", "other api's url"])
def test_a_renamed_key_is_caught(project, damage):
    record = deployed_record()
    api = record["resources"][2]
    if damage == "renamed id key":
        api["api_id"] = api.pop("rest_api_id")
    elif damage == "renamed type":
        api["resource_type"] = "api"
    elif damage == "no url":
        del api["rest_api_url"]
    else:
        api["rest_api_url"] = api["rest_api_url"].replace(API_ID, "zzzzzzzzzz")
    write_record(project, record)
    with pytest.raises(deploy.DeployError):
        deploy.front_door_parameters("dev", project)


def test_a_stage_renamed_since_the_deploy_is_caught(project):
    config = json.loads((project / ".chalice" / "config.json").read_text())
    config["stages"]["dev"]["api_gateway_stage"] = "v2"
    (project / ".chalice" / "config.json").write_text(json.dumps(config))
    with pytest.raises(deploy.DeployError, match="chalice deploy --stage dev"):
        deploy.front_door_parameters("dev", project)


def test_no_record_says_deploy_first(project):
    with pytest.raises(deploy.DeployError, match="chalice deploy --stage prod"):
        deploy.front_door_parameters("prod", project)


def test_front_door_dry_run_prints_the_deploy_and_the_firmware_lines(project, monkeypatch, capsys):
    monkeypatch.setattr(deploy, "PROJECT", project)
    args = ["front-door", "--stage", "dev", "--dry-run", "--alarm-email", "me@example.com"]
    assert deploy.main(args) == 0
    out = capsys.readouterr().out
    (command,) = [line for line in out.splitlines() if " cloudformation deploy " in line]
    assert (
        f"--region {REGION}" in command
        and "--stack-name stopmotion-ingest-dev-front-door" in command
    )
    assert overrides_of(command) == {"ApiId": API_ID, "ApiStage": "api",
                                     "AlarmEmail": "me@example.com"}
    assert set(overrides_of(command)) <= set(cfn.load(cfn.FRONT_DOOR)["Parameters"])
    assert "#define CONFIG_PORT 80" in out and '#define CONFIG_PATH "/frames"' in out
    assert "CONFIG_CAMERA_ID" not in out, "one front door for every camera"
    # the chalice-deployed check learns the topic from config.json: the step says so
    assert '"ALARM_TOPIC_ARN": "<AlarmTopicArn output of the stack above>"' in out
    assert "chalice deploy --stage dev" in out


def test_the_topic_the_front_door_makes_is_one_chalice_deploys_check_may_publish_to():
    """make front-door's stack is <app>-<stage>-front-door; CloudFormation names its topic
    <stack>-AlarmTopic-<random>, inside what policy-<stage>.json lets the check publish to."""
    stack = f"{deploy.stack_name('dev', deploy.PROJECT)}-front-door"
    policy = json.loads((deploy.PROJECT / ".chalice" / "policy-dev.json").read_text())
    (publish,) = [s for s in policy["Statement"] if "sns:Publish" in s["Action"]]
    pattern = publish["Resource"].split(":")[-1]
    assert re.fullmatch(pattern.replace("*", ".*"), f"{stack}-AlarmTopic-1A2B3C4D5E6F")


def test_front_door_without_a_record_fails_clearly(project, monkeypatch, capsys):
    monkeypatch.setattr(deploy, "PROJECT", project)
    assert deploy.main(["front-door", "--stage", "prod", "--dry-run"]) == 2
    assert "chalice deploy --stage prod" in capsys.readouterr().err


def test_deploy_dry_run_names_only_parameters_of_the_merged_template(tmp_path, capsys):
    (tmp_path / "sam.yaml").write_text("stands in for make package's output\n")
    every_option = [
        "--alarm-email",
        "a@b.example",
        "--retention-days",
        "365",
        "--price-class",
        "PriceClass_200",
    ]
    args = ["deploy", "--dry-run", "--out", str(tmp_path), "--region", "us-west-2", *every_option]
    assert deploy.main(args) == 0
    upload, create, describe = printed_commands(capsys)
    assert " cloudformation package " in upload and "--s3-bucket '<ARTIFACT_BUCKET>'" in upload
    assert " cloudformation deploy " in create
    assert "--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND" in create
    assert " describe-stacks " in describe
    assert set(overrides_of(create)) == {*deploy.STACK_PARAMETERS.values(), "SecretsPath"}
    assert set(deploy.STACK_PARAMETERS.values()) <= set(cfn.load(cfn.MERGE)["Parameters"])


def test_deploy_for_real_needs_an_artifact_bucket(tmp_path, capsys):
    (tmp_path / "sam.yaml").write_text("stands in for make package's output\n")
    assert deploy.main(["deploy", "--out", str(tmp_path)]) == 2
    assert "ARTIFACT_BUCKET" in capsys.readouterr().err


def defines(text: str) -> dict[str, str]:
    """#define NAME VALUE lines of a C header, trailing comments dropped."""
    found = re.findall(r"^\s*#define\s+(\w+)\s+(.+?)\s*(?://.*)?$", text, re.MULTILINE)
    return dict(found)


def test_firmware_lines_set_settings_the_firmware_has():
    example = defines((deploy.PROJECT / "firmware" / "include" / "config.example.h").read_text())
    printed = defines(deploy.firmware_config("d1234abcd.cloudfront.net"))
    assert set(printed) <= set(example), "a renamed firmware setting"
    assert printed["CONFIG_HOST"] == '"d1234abcd.cloudfront.net"'
    assert (printed["CONFIG_PORT"], printed["CONFIG_PATH"]) == ("80", '"/frames"')
    assert example["CONFIG_PATH"] == printed["CONFIG_PATH"], "the example posts where the API is"


def test_prod_deploy_reads_the_secrets_camera_add_writes(tmp_path, capsys):
    """`make deploy STAGE=prod` hands the stack the path `camera add --ssm --stage prod` writes;
    the merged template's function reads it and its role may read exactly it."""
    (tmp_path / "sam.yaml").write_text("stands in for make package's output\n")
    assert deploy.main(["deploy", "--stage", "prod", "--dry-run", "--out", str(tmp_path)]) == 0
    path = overrides_of(printed_commands(capsys)[1])["SecretsPath"]
    assert path == secrets.ssm_path("prod") == "/stopmotion/prod"
    merge = cfn.load(cfn.MERGE)
    assert "Default" not in merge["Parameters"]["SecretsPath"], "a deploy must name the path"
    function = merge["Resources"]["APIHandler"]["Properties"]
    assert function["Environment"]["Variables"]["SECRETS_SSM_PATH"] == {"Ref": "SecretsPath"}
    policies = merge["Resources"]["ApiHandlerRole"]["Properties"]["Policies"]
    names = {"SecretsPath": path, "AWS::Partition": "aws", "AWS::Region": "eu-west-1",
             "AWS::AccountId": "123456789012"}
    ssm = [cfn.sub(r, names) for p in policies for s in p["PolicyDocument"]["Statement"]
           if "ssm:GetParametersByPath" in s["Action"] for r in s["Resource"]]
    assert ssm == [f"arn:aws:ssm:eu-west-1:123456789012:parameter{path}",
                   f"arn:aws:ssm:eu-west-1:123456789012:parameter{path}/*"]


def test_chalice_stages_read_and_may_read_their_own_secrets():
    """`chalice deploy --stage X`: config.json's SECRETS_SSM_PATH and the policy file agree."""
    for stage, settings in deploy.chalice_config(deploy.PROJECT)["stages"].items():
        path = settings.get("environment_variables", {}).get("SECRETS_SSM_PATH")
        if path is None:
            continue
        assert path == secrets.ssm_path(stage)
        policy = json.loads((deploy.PROJECT / ".chalice" / settings["iam_policy_file"]).read_text())
        ssm = [r for s in policy["Statement"] if "ssm:GetParametersByPath" in s["Action"]
               for r in s["Resource"]]
        assert ssm == [f"arn:aws:ssm:*:*:parameter{path}", f"arn:aws:ssm:*:*:parameter{path}/*"]


@pytest.mark.parametrize("days", ["-1", "ten"])
def test_retention_days_outside_the_templates_range_is_refused(tmp_path, capsys, days):
    (tmp_path / "sam.yaml").write_text("stands in for make package's output\n")
    args = ["deploy", "--dry-run", "--out", str(tmp_path), "--retention-days", days]
    assert deploy.main(args) == 2
    captured = capsys.readouterr()
    assert "--retention-days" in captured.err and "0 or more" in captured.err
    assert not printed_commands_of(captured.out)


def test_the_single_camera_alarm_is_gone():
    """The fleet check watches every camera: no option, parameter or alarm names one."""
    assert "camera" not in deploy.STACK_PARAMETERS
    for template in (cfn.FRONT_DOOR, cfn.MERGE):
        loaded = cfn.load(template)
        assert not {"CameraId", "SilenceHours"} & set(loaded["Parameters"])
        assert "SilenceAlarm" not in loaded["Resources"]
    makefile = (deploy.PROJECT / "Makefile").read_text()
    assert "SILENCE_HOURS" not in makefile and "--camera" not in makefile
