"""Fixtures for the security tests: a real S3-compatible server (rclone) on loopback."""

import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from stopmotion.localstack import free_port

RCLONE = Path(sys.executable).parent / "rclone"


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A boto3 S3 client on a fresh `rclone serve s3` with one bucket, 'frames'."""
    root = tmp_path_factory.mktemp("s3")
    (root / "frames").mkdir()
    port = free_port()
    proc = subprocess.Popen(
        [
            str(RCLONE),
            "serve",
            "s3",
            "--addr",
            f"127.0.0.1:{port}",
            "--auth-key",
            "testkey,testsecret",
            str(root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="testkey",
        aws_secret_access_key="testsecret",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    try:
        for _ in range(100):
            try:
                client.list_objects_v2(Bucket="frames")
                break
            except Exception:
                time.sleep(0.05)
        yield client
    finally:
        proc.terminate()
        proc.wait(5)
