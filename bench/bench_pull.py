"""`stopmotion pull` against `aws s3 sync`: the same frames from local S3 into an empty folder.

The frames go into a fresh local stack's bucket the way the service stores them (key layout, sha256
metadata). Each tool runs as a user runs it, as a fresh process, into a new empty folder; rounds
alternate and the best of each is compared. STUDIO_BENCH_FRAMES overrides the count (default 1000).
"""

import hashlib
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import bench_render
from bench.bench_render import FRAMES, SIZE, source
from simboard import frames as sample_frames
from stopmotion.localstack import LocalStack

ROUNDS = 3
BIN = Path(sys.executable).parent


def upload(stack: LocalStack) -> int:
    """Puts every benchmark frame under its key with the service's metadata; returns bytes."""
    client = stack.s3_client()
    folder = source()
    paths = sample_frames.write_folder(folder, FRAMES, SIZE)

    def put(path: Path) -> int:
        data = path.read_bytes()
        key = "frames/" + path.relative_to(folder).as_posix()
        client.put_object(Bucket=stack.bucket, Key=key, Body=data,
                          Metadata={"camera": "cam-1", "sha256": hashlib.sha256(data).hexdigest()})
        return len(data)

    with ThreadPoolExecutor(8) as pool:
        return sum(pool.map(put, paths))


def timed(command: list[str], env: dict[str, str], dest: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one run (the tool's process only; the S3 server is not counted)."""
    seconds = bench_render.timed(command, env)
    got = sum(1 for p in dest.rglob("*.jpg") if p.is_file())
    if got != FRAMES:
        raise RuntimeError(f"{command[0]} left {got} of {FRAMES} frames in {dest}")
    return seconds


def main() -> None:
    with tempfile.TemporaryDirectory() as work, \
            LocalStack(Path(work) / "s3", log_file=Path(work) / "stack.log") as stack:
        total = upload(stack)
        print(f"frames: {FRAMES} of {SIZE[0]}x{SIZE[1]} ({total / FRAMES / 1000:.0f} KB each) "
              f"in the local stack's S3 server {stack.s3_endpoint}")
        source = f"s3://{stack.bucket}/frames/cam-1/"
        runs: dict[str, list[tuple[float, float]]] = {"stopmotion pull": [], "aws s3 sync": []}
        for round_ in range(ROUNDS):
            dest = Path(work, f"ours-{round_}")
            ours = [str(BIN / "stopmotion"), "pull", str(dest), "--camera", "cam-1",
                    "--bucket", stack.bucket, "--endpoint-url", stack.s3_endpoint, "--quiet"]
            runs["stopmotion pull"].append(timed(ours, stack.env, dest))
            dest = Path(work, f"aws-{round_}")
            theirs = [str(BIN / "aws"), "s3", "sync", source, str(dest), "--only-show-errors",
                      "--endpoint-url", stack.s3_endpoint]
            runs["aws s3 sync"].append(timed(theirs, stack.env, dest))
    best = {name: (min(w for w, _ in times), min(c for _, c in times))
            for name, times in runs.items()}
    print(f"{'tool':<18}{'wall s':>8}{'frames/s':>10}{'CPU s':>8}")
    for name, (wall, cpu) in best.items():
        print(f"{name:<18}{wall:>8.2f}{FRAMES / wall:>10.1f}{cpu:>8.2f}")
    ratio = best["aws s3 sync"][0] / best["stopmotion pull"][0]
    print(f"ratio pull/aws frames per second: {ratio:.2f} (goal >= 1.0); best of {ROUNDS} rounds "
          "each; ours checks each frame's sha256 before it gets its name")
