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

from infra import cfn

PROJECT = cfn.INFRA.parent
BIN = Path(sys.executable).parent
FRAMES_PATH = "/frames"
API_URL = re.compile(r"https://(?P<id>[a-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.[^/]+/(?P<stage>[^/]+)/?")


class DeployError(Exception):
    """A precondition of a deploy step is not met; the message says what to do."""


def chalice_config(project: Path) -> dict:
    return json.loads((project / ".chalice" / "config.json").read_text())


def stack_name(stage: str, project: Path) -> str:
    return f"{chalice_config(project)['app_name']}-{stage}"


def api_stage(stage: str, project: Path) -> str:
    """The API Gateway stage Chalice gives `stage` (the stage's setting, the top one, or "api")."""
    config = chalice_config(project)
    return config["stages"].get(stage, {}).get("api_gateway_stage", config.get("api_gateway_stage", "api"))


def package(stage: str, out: Path, region: str) -> Path:
    """Builds the one-stack template with `chalice package`; returns the path of sam.yaml."""
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION") or region}
    if out.exists():
        shutil.rmtree(out)
    subprocess.run(
        [BIN / "chalice", "package", "--stage", stage, "--merge-template", cfn.MERGE, out],
        cwd=PROJECT, env=env, check=True,
    )
    shutil.copy(cfn.FRONT_DOOR, out / cfn.FRONT_DOOR.name)  # the nested stack's TemplateURL
    return out / "sam.yaml"


def deploy_commands(out: Path, stack: str, region: str, bucket: str, overrides: dict) -> list[list]:
    """`aws cloudformation package` (uploads code and the nested template) then `deploy`."""
    packaged = out / "packaged.yaml"
    deploy = [BIN / "aws", "cloudformation", "deploy", "--region", region,
              "--template-file", packaged, "--stack-name", stack, "--capabilities", "CAPABILITY_IAM"]
    if overrides:
        deploy += ["--parameter-overrides", *(f"{k}={v}" for k, v in overrides.items())]
    return [
        [BIN / "aws", "cloudformation", "package", "--region", region,
         "--template-file", out / "sam.yaml", "--s3-bucket", bucket, "--s3-prefix", stack,
         "--output-template-file", packaged],
        deploy,
    ]


def front_door_parameters(stage: str, project: Path) -> tuple[dict, str]:
    """The front-door stack's ApiId and ApiStage from Chalice's deployed record, and its region."""
    record_path = project / ".chalice" / "deployed" / f"{stage}.json"
    if not record_path.exists():
        raise DeployError(f"{record_path} not found: run `chalice deploy --stage {stage}` first")
    record = json.loads(record_path.read_text())
    apis = [r for r in record.get("resources", []) if r.get("resource_type") == "rest_api"]
    if len(apis) != 1 or not {"rest_api_id", "rest_api_url"} <= set(apis[0]):
        raise DeployError(f"{record_path} has no rest_api with rest_api_id and rest_api_url")
    api = apis[0]
    url = API_URL.fullmatch(api["rest_api_url"])
    if not url or url["id"] != api["rest_api_id"]:
        raise DeployError(f"{record_path}: rest_api_url {api['rest_api_url']} does not name the API")
    if url["stage"] != api_stage(stage, project):
        raise DeployError(
            f"{record_path} was deployed to API stage {url['stage']!r}, config.json now says "
            f"{api_stage(stage, project)!r}: run `chalice deploy --stage {stage}` again"
        )
    return {"ApiId": api["rest_api_id"], "ApiStage": url["stage"]}, url["region"]


def front_door_command(stack: str, region: str, parameters: dict) -> list:
    return [BIN / "aws", "cloudformation", "deploy", "--region", region,
            "--template-file", cfn.FRONT_DOOR, "--stack-name", stack,
            "--parameter-overrides", *(f"{k}={v}" for k, v in parameters.items())]


def stack_outputs(stack: str, region: str) -> dict:
    done = subprocess.run(
        [BIN / "aws", "cloudformation", "describe-stacks", "--region", region, "--stack-name", stack,
         "--query", "Stacks[0].Outputs", "--output", "json"],
        check=True, capture_output=True, text=True,
    )
    return {o["OutputKey"]: o["OutputValue"] for o in json.loads(done.stdout)}


def firmware_config(host: str) -> str:
    """The lines for the firmware's config, given the distribution's domain."""
    return (
        "Put these lines into firmware/include/config.h:\n"
        f'  #define SERVER_HOST "{host}"\n'
        "  #define SERVER_PORT 80\n"
        f'  #define SERVER_PATH "{FRAMES_PATH}"\n'
    )


def shown(command: list) -> str:
    """The command as a user would type it from the project root."""
    def arg(a: object) -> str:
        if isinstance(a, Path) and a.is_relative_to(PROJECT):
            return str(a.relative_to(PROJECT))
        return str(a)
    return shlex.join(arg(a) for a in command)


def run(commands: list[list], dry_run: bool) -> None:
    for command in commands:
        print(f"$ {shown(command)}", flush=True)
        if not dry_run:
            subprocess.run([str(a) for a in command], cwd=PROJECT, check=True)


def tell_firmware(stack: str, region: str, dry_run: bool) -> None:
    if dry_run:
        print(f"$ {shown([BIN / 'aws', 'cloudformation', 'describe-stacks', '--region', region, '--stack-name', stack])}")
        host = "<DistributionDomain output of the stack above>"
    else:
        host = stack_outputs(stack, region)["DistributionDomain"]
        print(f"The front door: http://{host}{FRAMES_PATH}")
    print(firmware_config(host))


STACK_PARAMETERS = {  # option -> parameter of package-merge.yaml / front-door.yaml
    "camera": "CameraId", "silence_hours": "SilenceHours", "alarm_email": "AlarmEmail",
    "retention_days": "FrameRetentionDays", "price_class": "PriceClass",
}


def overrides(args: argparse.Namespace) -> dict:
    return {p: getattr(args, o) for o, p in STACK_PARAMETERS.items() if getattr(args, o, None) is not None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("package", "deploy", "front-door"):
        sub = commands.add_parser(name)
        sub.add_argument("--stage", default="dev")
        sub.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
        sub.add_argument("--stack")
        sub.add_argument("--dry-run", action="store_true")
        if name != "front-door":
            sub.add_argument("--out", type=Path, help="default: build/<stage>")
        if name != "package":
            for option in STACK_PARAMETERS:
                if not (name == "front-door" and option == "retention_days"):
                    sub.add_argument("--" + option.replace("_", "-"))
        if name == "deploy":
            sub.add_argument("--artifact-bucket", help="an existing S3 bucket for the code upload")
    args = parser.parse_args(argv)
    out = (args.out or PROJECT / "build" / args.stage) if args.command != "front-door" else None
    try:
        if args.command == "package":
            template = package(args.stage, out, args.region)
            print(f"Packaged: {shown([template])}. Next: make deploy STAGE={args.stage} "
                  "ARTIFACT_BUCKET=<an S3 bucket of yours for the code upload>")
            print(firmware_config("<DistributionDomain, which make deploy prints>"))
        elif args.command == "deploy":
            if not (out / "sam.yaml").exists():
                raise DeployError(f"{shown([out / 'sam.yaml'])} not found: run make package first")
            if not args.artifact_bucket and not args.dry_run:
                raise DeployError("set ARTIFACT_BUCKET to an S3 bucket of yours "
                                  f"(once: aws s3 mb s3://<name> --region {args.region})")
            stack = args.stack or stack_name(args.stage, PROJECT)
            bucket = args.artifact_bucket or "<ARTIFACT_BUCKET>"
            run(deploy_commands(out, stack, args.region, bucket, overrides(args)), args.dry_run)
            tell_firmware(stack, args.region, args.dry_run)
        else:
            parameters, region = front_door_parameters(args.stage, PROJECT)
            stack = args.stack or f"{stack_name(args.stage, PROJECT)}-front-door"
            run([front_door_command(stack, region, {**parameters, **overrides(args)})], args.dry_run)
            tell_firmware(stack, region, args.dry_run)
    except DeployError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as err:
        return err.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
