"""The hourly fleet check (chalicelib/fleet.py run_check, the real code) against generated buckets
in the local stack's S3 server: its time, its S3 requests by operation and its memory, for a
growing number of cameras and of days kept.

Each case gets a bucket of its own with tiny bodies (the check lists keys and reads status objects
only): frame keys named by chalicelib/protocol/keys.py at the captures of schedule.DEFAULT (a few
seconds late, as a camera is), every tenth camera without a frame for the newest capture judged (so
the alarm goes out once), and each camera's status object folded frame by frame with
chalicelib/protocol/fleet.py status_after, as ingest writes it. The local S3 server (rclone) serves
a folder, one file an object, so the objects are written as files: 120,000 PUTs through boto3 took
over 5 minutes here, the files take seconds. Then the server is started on that folder (nothing
listed or cached yet) and the check runs once in a new Python process (no lru_cache, client or
connection from an earlier case): the wall and CPU time of run_check, every request it sent
(botocore's before-send event) and the process's peak RSS; a second run under tracemalloc gives
the peak of Python's own allocations.
"""

import json
import multiprocessing
import os
import random
import resource
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chalicelib.protocol import fleet as rules
from chalicelib.protocol import keys, schedule, upload
from infra import costs
from stopmotion.localstack import PROJECT_DIR, LocalStack

CASES = [(100, 30), (1_000, 30), (100, 300)]  # (cameras, days of frames at 4 a day)
AT = datetime(2026, 11, 24, 12, 5, tzinfo=UTC)  # the check's "now": 5 minutes past a run's hour
LATE_S = 20  # captures are up to this many seconds after their slot
MISSING_EVERY = 10  # every tenth camera misses the newest capture judged by AT
BODY = b"\xff\xd8\xff\xd9"  # the check never reads a frame: the smallest JPEG-looking body
LAMBDA_MAX_S = 900  # Lambda's hard limit on one invocation
HEALTH = upload.health_value({"fw": upload.FIRMWARE_VERSION, "up": 86400, "boots": 3,
                              "reset": "external", "sram": 612, "tries": 1, "queued": 0})
S3_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
          "AWS_ENDPOINT_URL_S3")


def camera_name(i: int) -> str:
    return f"cam-{i:04d}"


def camera_objects(i: int, days: int, rng: random.Random) -> dict[str, bytes]:
    """Every object of camera i: its frames over the days before AT and its status object."""
    camera = camera_name(i)
    slots = rules.captures_between(schedule.DEFAULT, AT - timedelta(days=days), AT)
    if i % MISSING_EVERY == 0:  # the last slot is not judged yet (half-way to the next)
        del slots[-2]
    status: dict = {}
    objects = {}
    for slot in slots:
        captured = slot + timedelta(seconds=rng.uniform(0, LATE_S))
        key = keys.frame_key(camera, captured, f"{rng.getrandbits(32):08x}")
        received = keys.iso(captured + timedelta(seconds=2))
        status = rules.status_after(status, key, HEALTH, received)
        objects[key] = BODY
    objects[rules.status_key(camera)] = rules.status_body(status)
    return objects


def fill(folder: Path, cameras: int, days: int) -> tuple[int, float]:
    """Writes every camera's objects into the bucket's folder; (objects, seconds)."""
    rng = random.Random(f"{cameras}x{days}")  # the same bucket on every run
    started = time.perf_counter()
    count = 0
    for i in range(cameras):
        for key, body in camera_objects(i, days, rng).items():
            path = folder / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
            count += 1
    return count, time.perf_counter() - started


def measure(env: dict[str, str], bucket: str, cameras: int) -> dict:
    """In a fresh process: run_check once timed, once under tracemalloc; what each cost."""
    os.environ.update(env)
    from chalicelib import fleet  # the service's modules, imported in this process only
    from chalicelib.protocol.secrets import Secrets
    from chalicelib.storage import FrameStore, make_client

    store = FrameStore(make_client(), bucket)
    sent: Counter = Counter()
    lock = threading.Lock()

    def count(event_name: str, **_) -> None:
        with lock:
            sent[event_name.rsplit(".", 1)[-1]] += 1

    store.client.meta.events.register("before-send.s3", count)
    rng = random.Random(bucket)
    known = Secrets(cameras={camera_name(i): rng.randbytes(32) for i in range(cameras)})
    published: list[str] = []
    with open(os.devnull, "w") as out:  # the metric lines, as Lambda's stdout would take them
        wall, cpu = time.perf_counter(), time.process_time()
        done = fleet.run_check(store, known, AT, lambda subject, _: published.append(subject),
                               out)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        requests = dict(sent)
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # before tracemalloc
        rules.judged_slots.cache_clear()
        tracemalloc.start()
        fleet.run_check(store, known, AT, lambda *_: None, out)
        python_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {
        "wall": wall, "cpu": cpu, "requests": requests, "python_peak": python_peak,
        "rss_peak": rss_peak,
        "cameras": done["cameras"], "troubled": len(done["troubled"]), "published": published,
    }


def run_case(work: Path, cameras: int, days: int) -> dict:
    data = Path(tempfile.mkdtemp(prefix=f"{cameras}x{days}-", dir=work))  # nothing of another run
    bucket = f"fleet-{cameras}x{days}"
    objects, fill_s = fill(data / bucket, cameras, days)
    with LocalStack(data, log_file=work / "stack.log") as stack:  # started on the filled folder
        env = {name: stack.env[name] for name in S3_ENV}
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            found = pool.apply(measure, (env, bucket, cameras))
    if found["cameras"] != cameras:
        raise RuntimeError(f"the check saw {found['cameras']} cameras of {cameras}")
    return {**found, "objects": objects, "fill_s": fill_s, "cameras": cameras, "days": days}


def check_timeout_s() -> int:
    """The check function's timeout in the dev stage (.chalice/config.json owns it)."""
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    return config["stages"]["dev"]["lambda_functions"]["check_fleet"]["lambda_timeout"]


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        results = [run_case(Path(work), cameras, days) for cameras, days in CASES]
    # Lambda gives a function CPU in proportion to its memory: a whole vCPU at
    # costs.LAMBDA_MB_PER_VCPU, so the check's CPU time here takes this many times longer there.
    slower = costs.LAMBDA_MB_PER_VCPU / (costs.LAMBDA_GB * 1024)
    operations = sorted({op for found in results for op in found["requests"]})
    by_op = [", ".join(f"{op} {found['requests'].get(op, 0)}" for op in operations)
             for found in results]
    width = max(len(ops) for ops in by_op) + 2
    print(f"{'cameras':>7} {'days':>4} {'frames':>7} {'fill s':>6} {'check s':>7} {'CPU s':>6} "
          f"{'ms/cam':>6} {'Lambda s':>8} {'S3 req':>6} {'req/cam':>7}  {'by operation':<{width}}"
          f"{'py MB':>6} {'RSS MB':>6}")
    for found, ops in zip(results, by_op, strict=True):
        total = sum(found["requests"].values())
        frames = found["objects"] - found["cameras"]
        print(f"{found['cameras']:>7} {found['days']:>4} {frames:>7} {found['fill_s']:>6.1f} "
              f"{found['wall']:>7.2f} {found['cpu']:>6.2f} "
              f"{1000 * found['wall'] / found['cameras']:>6.2f} {found['cpu'] * slower:>8.1f} "
              f"{total:>6} {total / found['cameras']:>7.2f}  {ops:<{width}}"
              f"{found['python_peak'] / 1e6:>6.1f} {found['rss_peak'] / 1e6:>6.1f}")
    for found in results:
        print(f"{found['cameras']} cameras x {found['days']} days: {found['troubled']} in trouble, "
              f"alarm published {len(found['published'])} time(s)")
    big = max(results, key=lambda found: found["cpu"])
    memory_mb = costs.LAMBDA_GB * 1024
    need_s = big["cpu"] * slower
    print(f"fill s: writing the bucket's files; check s, CPU s: run_check here (S3 on loopback, "
          f"a whole core); Lambda s: its CPU time at {memory_mb:.0f} MB, which gets "
          f"{memory_mb:.0f}/{costs.LAMBDA_MB_PER_VCPU} of a vCPU (S3's latency there not counted)")
    print(f"Lambda limits: {big['cameras']} cameras x {big['days']} days need about "
          f"{need_s:.0f} s ({need_s / big['cameras']:.3f} s a camera) of the check's "
          f"{check_timeout_s()} s timeout (.chalice/config.json; Lambda allows {LAMBDA_MAX_S} s), "
          f"about {check_timeout_s() / need_s * big['cameras']:,.0f} cameras at most; peak RSS "
          f"{big['rss_peak'] / 1e6:.0f} MB of its {memory_mb:.0f} MB (imports included), "
          f"Python's own peak {big['python_peak'] / 1e6:.1f} MB")
