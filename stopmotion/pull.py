"""`stopmotion pull`: copy a camera's frames from the bucket into a folder, only what is new.

A frame lands at <folder>/<camera>/<YYYY>/<MM>/<DD>/<name>.jpg (its key without "frames/"). Each is
downloaded to a hidden `.part` name, checked, then renamed: a file under its final name is always
whole and verified, so an interrupted pull resumes by running it again. Keys never change content
(every frame gets a new key), so a final file of the listed size is skipped.

Checks, strongest first: the sha256 the service stores in the object's metadata; else the MD5 that a
single-part upload's ETag is; else only the length (counted as "unverified").
"""

import argparse
import hashlib
import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from tqdm import tqdm

from chalicelib.protocol import keys
from stopmotion import frames, localstack

ATTEMPTS = 3
MD5_ETAG = re.compile(r"[0-9a-f]{32}")


class ChecksumMismatch(Exception):
    """The bytes received differ from what the store says it holds; a retry may succeed."""


def make_client(endpoint_url: str | None, workers: int, local: bool = False) -> Any:
    """An S3 client with a connection per worker (the environment supplies keys and region)."""
    config = Config(
        max_pool_connections=workers,
        retries={"mode": "standard", "max_attempts": 5},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",  # we verify the whole file ourselves
    )
    keys = {}
    if local:
        keys = {"aws_access_key_id": localstack.ACCESS_KEY,
                "aws_secret_access_key": localstack.SECRET_KEY, "region_name": "us-east-1"}
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config, **keys)


def listing(client: Any, bucket: str, camera: str | None, since: Any, until: Any) -> list[dict]:
    """The frame objects of `camera` (all cameras if None) taken in [since, until), in key order:
    only frame keys, which are safe as paths under a folder."""
    prefix, start = keys.listing_start(camera, since)
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix, StartAfter=start)
    entries = (obj for page in pages for obj in page.get("Contents", []))
    return [obj for _, obj in keys.select(entries, camera, since, until)]


def fetch(client: Any, bucket: str, obj: dict, target: Path) -> tuple[str, int]:
    """Downloads one object to `target` through a `.part` file; returns (how verified, bytes)."""
    partial = target.with_name(f".{target.name}.part")
    target.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            response = client.get_object(Bucket=bucket, Key=obj["Key"])
            data = response["Body"].read()
            how = verify(data, response)
            partial.write_bytes(data)
            os.replace(partial, target)
            return how, len(data)
        except (ChecksumMismatch, ClientError, BotoCoreError, OSError):
            partial.unlink(missing_ok=True)
            if attempt == ATTEMPTS:
                raise
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


def verify(data: bytes, response: dict) -> str:
    """Which check `data` passed ("sha256", "md5" or "length"); raises ChecksumMismatch."""
    if len(data) != response["ContentLength"]:
        raise ChecksumMismatch(f"got {len(data)} of {response['ContentLength']} bytes")
    metadata = {name.lower(): value for name, value in response.get("Metadata", {}).items()}
    if "sha256" in metadata:
        if hashlib.sha256(data).hexdigest() != metadata["sha256"].lower():
            raise ChecksumMismatch("sha256 differs from the object's metadata")
        return "sha256"
    etag = response.get("ETag", "").strip('"').lower()
    if MD5_ETAG.fullmatch(etag):
        if hashlib.md5(data).hexdigest() != etag:
            raise ChecksumMismatch("MD5 differs from the ETag")
        return "md5"
    return "length"


def pull(client: Any, bucket: str, dest: Path, objects: list[dict], workers: int,
         progress: bool = True) -> dict[str, Any]:
    """Fetches the objects not yet in `dest`; returns counts by outcome and the failures."""
    todo = []
    for obj in objects:
        target = dest / keys.local_path(obj["Key"])
        if not (target.is_file() and target.stat().st_size == obj["Size"]):
            todo.append((obj, target))
    outcome: dict[str, Any] = {"already": len(objects) - len(todo), "bytes": 0, "failed": [],
                               "sha256": 0, "md5": 0, "length": 0}

    def one(item: tuple[dict, Path]) -> tuple[str, int] | tuple[None, str]:
        obj, target = item
        try:
            return fetch(client, bucket, obj, target)
        except Exception as error:  # noqa: BLE001 - reported per key, the others go on
            return None, f"{obj['Key']}: {error or type(error).__name__}"

    with ThreadPoolExecutor(workers) as pool, \
            tqdm(total=len(todo), unit="frame", desc="pull", disable=not progress) as bar:
        try:
            for how, detail in pool.map(one, todo):
                if how is None:
                    outcome["failed"].append(detail)
                else:
                    outcome[how] += 1
                    outcome["bytes"] += detail
                bar.update()
        except BaseException:  # Ctrl-C: finish the downloads under way, start no more
            pool.shutdown(cancel_futures=True)
            raise
    return outcome


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pull", help="copy frames from the bucket into a folder",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="folder to copy into (created if missing)")
    parser.add_argument("--camera", help="only this camera (default: every camera)")
    frames.add_time_range(parser)
    parser.add_argument("--bucket", default=os.environ.get("FRAMES_BUCKET"),
                        help="bucket name (default: $FRAMES_BUCKET)")
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL_S3"),
                        help="S3 endpoint (default: $AWS_ENDPOINT_URL_S3, else AWS)")
    parser.add_argument("--local", action="store_true",
                        help="the running `make run`: its S3 server, bucket and keys")
    parser.add_argument("--stack-file", type=Path, default=localstack.DEFAULT_STATE_FILE,
                        help="how to reach the running `make run` (default: var/stack.json)")
    parser.add_argument("--workers", type=int, default=16, help="parallel downloads (default 16)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    if args.local:
        stack = localstack.running_stack(args.stack_file) or {}
        args.endpoint_url = args.endpoint_url or stack.get("s3_endpoint")
        if not args.endpoint_url:
            sys.exit(f"pull: --local: no `make run` is running ({args.stack_file} names none): "
                     "start it, or give --endpoint-url")
        args.bucket = args.bucket or localstack.stage_bucket()
    if not args.bucket:
        sys.exit("pull: name the bucket with --bucket or FRAMES_BUCKET (or use --local)")
    if args.workers < 1:
        sys.exit("pull: --workers must be at least 1")
    client = make_client(args.endpoint_url, args.workers, args.local)
    started = time.perf_counter()
    try:
        objects = listing(client, args.bucket, args.camera, args.since, args.until)
    except (ClientError, BotoCoreError) as error:
        sys.exit(f"pull: cannot list s3://{args.bucket}: {error}")
    try:
        result = pull(client, args.bucket, args.dest, objects, args.workers, not args.quiet)
    except KeyboardInterrupt:
        sys.exit("pull: interrupted; every frame here is whole, run it again to resume")
    seconds = time.perf_counter() - started
    fetched = result["sha256"] + result["md5"] + result["length"]
    for failure in result["failed"]:
        print(f"pull: failed {failure}", file=sys.stderr)
    print(f"pulled {fetched} frames ({result['bytes'] / 1e6:.1f} MB) in {seconds:.1f} s, "
          f"{result['already']} already here, {len(result['failed'])} failed; verified by "
          f"sha256 {result['sha256']}, by MD5 ETag {result['md5']}, "
          f"unverified (length only) {result['length']}")
    return 1 if result["failed"] else 0
