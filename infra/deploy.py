"""The deploy steps: `package` and `deploy` (one stack), `front-door` (after `chalice deploy`).

Run from the project root as `python -m infra.deploy COMMAND --stage STAGE ...` (the Makefile
does). `--dry-run` prints the AWS commands instead of running them. Each command ends by printing
the lines the firmware's config needs.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from chalicelib.protocol import secrets, upload
from chalicelib.protocol.secrets import ssm_path
from infra import cfn

PROJECT = cfn.INFRA.parent
BIN = Path(sys.executable).parent
AWS = BIN / "aws"
FRAMES_PATH = upload.ROUTE
API_URL = re.compile(
    r"https://(?P<id>[a-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.[^/]+/(?P<stage>[^/]+)/?"
)
STACK_PARAMETERS = {  # command-line option -> parameter of package-merge.yaml and front-door.yaml
    "alarm_email": "AlarmEmail",
    "retention_days": "FrameRetentionDays",  # package-merge.yaml only: the bucket's lifecycle
    "price_class": "PriceClass",
}


class DeployError(Exception):
    """A precondition of a deploy step is not met; the message says what to do."""


def chalice_config(project: Path) -> dict:
    return json.loads((project / ".chalice" / "config.json").read_text())


def stack_name(stage: str, project: Path) -> str:
    return f"{chalice_config(project)['app_name']}-{stage}"


def api_stage(stage: str, project: Path) -> str:
    """The API Gateway stage Chalice gives `stage` (the stage's setting, the top one, or "api")."""
    config = chalice_config(project)
    default = config.get("api_gateway_stage", "api")
    return config["stages"].get(stage, {}).get("api_gateway_stage", default)


def package(stage: str, out: Path, region: str) -> Path:
    """Builds the one-stack template with `chalice package`; returns the path of sam.yaml."""
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION") or region}
    command = [BIN / "chalice", "package", "--stage", stage, "--merge-template", cfn.MERGE, out]
    subprocess.run(command, cwd=PROJECT, env=env, check=True)
    shutil.copy(cfn.FRONT_DOOR, out / cfn.FRONT_DOOR.name)  # the nested stack's TemplateURL
    return out / "sam.yaml"


def check_parameters(parameters: dict, template: Path) -> None:
    """Refuses values the template's parameters would refuse (MinValue, MaxValue), before AWS."""
    specs = cfn.load(template)["Parameters"]
    option = {p: "--" + o.replace("_", "-") for o, p in STACK_PARAMETERS.items()}
    for name, value in parameters.items():
        spec = specs.get(name, {})
        low, high = spec.get("MinValue"), spec.get("MaxValue")
        if low is None and high is None:
            continue
        try:
            number = float(value)
        except ValueError:
            number = None
        if number is None or (low is not None and number < low) or (
                high is not None and number > high):
            allowed = f"{low} to {high}" if high is not None else f"{low} or more"
            raise DeployError(f"{option.get(name, name)} {value}: {name} must be a number "
                              f"from {allowed}")


def overrides(parameters: dict) -> list[str]:
    return ["--parameter-overrides", *(f"{k}={v}" for k, v in parameters.items())]


def deploy_commands(out: Path, stack: str, region: str, bucket: str, parameters: dict) -> list:
    """`aws cloudformation package` (uploads the code and the nested template), then `deploy`.

    CAPABILITY_IAM for the function's role; CAPABILITY_AUTO_EXPAND because the template has both
    a transform (SAM) and a nested stack.
    """
    packaged = out / "packaged.yaml"
    return [
        [AWS, "cloudformation", "package", "--region", region, "--template-file", out / "sam.yaml",
         "--s3-bucket", bucket, "--s3-prefix", stack, "--output-template-file", packaged],
        [AWS, "cloudformation", "deploy", "--region", region, "--template-file", packaged,
         "--stack-name", stack, "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND",
         *(overrides(parameters) if parameters else [])],
    ]


def front_door_parameters(stage: str, project: Path) -> tuple[dict, str]:
    """The front-door stack's ApiId and ApiStage from Chalice's deployed record, and its region."""
    path = project / ".chalice" / "deployed" / f"{stage}.json"
    if not path.exists():
        raise DeployError(f"{path} not found: run `chalice deploy --stage {stage}` first")
    record = json.loads(path.read_text())
    apis = [r for r in record.get("resources", []) if r.get("resource_type") == "rest_api"]
    if len(apis) != 1 or not {"rest_api_id", "rest_api_url"} <= set(apis[0]):
        raise DeployError(f"{path} has no rest_api with rest_api_id and rest_api_url")
    api = apis[0]
    url = API_URL.fullmatch(api["rest_api_url"])
    if not url or url["id"] != api["rest_api_id"]:
        raise DeployError(f"{path}: rest_api_url {api['rest_api_url']} does not name the API")
    if url["stage"] != api_stage(stage, project):
        raise DeployError(
            f"{path} was deployed to API stage {url['stage']!r}, config.json now says "
            f"{api_stage(stage, project)!r}: run `chalice deploy --stage {stage}` again"
        )
    return {"ApiId": api["rest_api_id"], "ApiStage": url["stage"]}, url["region"]


def front_door_command(stack: str, region: str, parameters: dict) -> list:
    return [AWS, "cloudformation", "deploy", "--region", region, "--template-file", cfn.FRONT_DOOR,
            "--stack-name", stack, *overrides(parameters)]


def describe_command(stack: str, region: str) -> list:
    return [AWS, "cloudformation", "describe-stacks", "--region", region, "--stack-name", stack,
            "--query", "Stacks[0].Outputs", "--output", "json"]


def firmware_config(host: str) -> str:
    """The config.h lines for the front door (every camera's; its id and secret come from
    `stopmotion camera add`)."""
    lines = secrets.firmware_lines(host=host, path=FRAMES_PATH)
    return "Put these lines into firmware/include/config.h:\n" + "".join(
        f"  {line}\n" for line in lines.splitlines()
    )


def shown(command: list) -> str:
    """The command as a user would type it from the project root."""

    def arg(a: object) -> str:
        inside = isinstance(a, Path) and a.is_relative_to(PROJECT)
        return str(a.relative_to(PROJECT) if inside else a)

    return shlex.join(arg(a) for a in command)


def run(commands: list, dry_run: bool) -> None:
    for command in commands:
        print(f"$ {shown(command)}", flush=True)
        if not dry_run:
            subprocess.run([str(a) for a in command], cwd=PROJECT, check=True)


def tell_firmware(stack: str, region: str, dry_run: bool, stage: str | None = None) -> None:
    """Prints the firmware's lines with the deployed stack's domain (a placeholder in a dry run);
    after `make front-door` (stage given) also where the chalice-deployed check finds the
    alarm's topic."""
    command = describe_command(stack, region)
    if dry_run:
        print(f"$ {shown(command)}")
        outputs = {"DistributionDomain": "<DistributionDomain output of the stack above>",
                   "AlarmTopicArn": "<AlarmTopicArn output of the stack above>"}
    else:
        done = subprocess.run([str(a) for a in command], check=True, capture_output=True, text=True)
        outputs = {o["OutputKey"]: o["OutputValue"] for o in json.loads(done.stdout)}
        print(f"The front door: http://{outputs['DistributionDomain']}{FRAMES_PATH}")
    print(firmware_config(outputs["DistributionDomain"]))
    if stage is not None:
        print(alarm_topic_note(stage, outputs["AlarmTopicArn"]))


def alarm_topic_note(stage: str, topic: str) -> str:
    """What `chalice deploy` needs so the hourly check publishes to the front door's topic."""
    return (f"The fleet alarm's topic: add \"ALARM_TOPIC_ARN\": \"{topic}\" to the environment_"
            f"variables of stage {stage} in .chalice/config.json, then run `chalice deploy "
            f"--stage {stage}` again (until then the check only logs its alarm).")


def do_package(args: argparse.Namespace) -> None:
    template = package(args.stage, args.out, args.region)
    print(f"Packaged: {shown([template])}. Deploy it: make deploy STAGE={args.stage} "
          "ARTIFACT_BUCKET=<an S3 bucket of yours for the code upload>")
    print(firmware_config("<DistributionDomain, which make deploy prints>"))


def do_deploy(args: argparse.Namespace) -> None:
    if not (args.out / "sam.yaml").exists():
        raise DeployError(f"{shown([args.out / 'sam.yaml'])} not found: run make package first")
    if not args.artifact_bucket and not args.dry_run:
        raise DeployError("set ARTIFACT_BUCKET to an S3 bucket of yours for the code upload "
                          f"(once: aws s3 mb s3://<name> --region {args.region})")
    check_parameters(args.parameters, cfn.MERGE)
    stack = args.stack or stack_name(args.stage, PROJECT)
    bucket = args.artifact_bucket or "<ARTIFACT_BUCKET>"
    parameters = {**args.parameters, "SecretsPath": ssm_path(args.stage)}
    run(deploy_commands(args.out, stack, args.region, bucket, parameters), args.dry_run)
    tell_firmware(stack, args.region, args.dry_run)


def do_front_door(args: argparse.Namespace) -> None:
    check_parameters(args.parameters, cfn.FRONT_DOOR)
    parameters, region = front_door_parameters(args.stage, PROJECT)
    stack = args.stack or f"{stack_name(args.stage, PROJECT)}-front-door"
    run([front_door_command(stack, region, {**parameters, **args.parameters})], args.dry_run)
    tell_firmware(stack, region, args.dry_run, args.stage)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, action in (("package", do_package), ("deploy", do_deploy),
                         ("front-door", do_front_door)):
        sub = commands.add_parser(name)
        sub.set_defaults(action=action)
        sub.add_argument("--stage", default="dev")
        sub.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
        if name != "front-door":
            sub.add_argument("--out", type=Path, help="default: build/<stage>")
        if name != "package":
            sub.add_argument("--stack")
            sub.add_argument("--dry-run", action="store_true")
            for option in STACK_PARAMETERS:
                if name == "deploy" or option != "retention_days":
                    sub.add_argument("--" + option.replace("_", "-"), dest=option)
        if name == "deploy":
            sub.add_argument("--artifact-bucket", help="an existing S3 bucket for the code upload")
    args = parser.parse_args(argv)
    if "out" in args:
        args.out = args.out or PROJECT / "build" / args.stage
    args.parameters = {p: getattr(args, o) for o, p in STACK_PARAMETERS.items()
                       if getattr(args, o, None) is not None}
    try:
        args.action(args)
    except DeployError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as err:
        return err.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
