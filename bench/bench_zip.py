"""The preview's zip of a range (chalicelib/archive.py): the time to build the largest zip one
answer may carry, its S3 requests and its peak memory, against a fresh local stack's S3 server.

Two ranges, each as many frames as fit under the cap (at most archive.MAX_FRAMES): 800x600 frames
(a camera's usual size) and 320x240 ones (small frames: more of them, more requests). The S3 server
is on loopback: a real bucket adds its latency to each GET (10 at a time).
"""

import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chalicelib import archive
from chalicelib.protocol import keys
from chalicelib.storage import FrameStore
from simboard import frames as sample_frames
from stopmotion.localstack import LocalStack

ROUNDS = 5
CASES = {"cam-large": (800, 600), "cam-small": (320, 240)}
START = datetime(2026, 6, 1, tzinfo=UTC)


def fill(store: FrameStore, camera: str, size: tuple[int, int]) -> tuple[int, int]:
    """Puts frames of camera 6 h apart until the next would not fit the zip; (frames, bytes)."""
    entries: list[tuple[str, int]] = []
    while len(entries) < archive.MAX_FRAMES:
        body = sample_frames.sky_jpeg(len(entries), size)
        key = keys.frame_key(camera, START + timedelta(hours=6 * len(entries)))
        if archive.zip_size([*entries, (keys.local_path(key), len(body))]) > (
                archive.DEFAULT_MAX_ZIP_BYTES):
            break
        store.put(key, [body], {"camera": camera})
        entries.append((keys.local_path(key), len(body)))
    return len(entries), sum(size for _, size in entries)


def requests_of(store: FrameStore, camera: str) -> dict[str, int]:
    """The S3 requests one build makes, by operation."""
    counted: dict[str, int] = {}

    def count(model, **_) -> None:
        counted[model.name] = counted.get(model.name, 0) + 1

    store.client.meta.events.register("before-call.s3", count, "bench-zip-count")
    try:
        archive.build(store, camera, None, None)
    finally:
        store.client.meta.events.unregister("before-call.s3", count, "bench-zip-count")
    return counted


def main() -> None:
    with tempfile.TemporaryDirectory() as work, \
            LocalStack(Path(work) / "s3", log_file=Path(work) / "stack.log") as stack:
        store = FrameStore(stack.s3_client(), stack.bucket)
        print(f"cap {archive.DEFAULT_MAX_ZIP_BYTES:,} bytes, at most {archive.MAX_FRAMES} frames; "
              f"local S3 server {stack.s3_endpoint}; best and median of {ROUNDS}")
        print(f"{'range':<22} {'frames':>6} {'zip bytes':>10} {'best s':>7} {'median s':>8} "
              f"{'S3 requests':>16} {'peak MB':>7}")
        for camera, size in CASES.items():
            count, total = fill(store, camera, size)
            seconds, built = [], b""
            for _ in range(ROUNDS):
                started = time.perf_counter()
                _, built = archive.build(store, camera, None, None)
                seconds.append(time.perf_counter() - started)
            requests = requests_of(store, camera)
            tracemalloc.start()
            archive.build(store, camera, None, None)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            names = {"GetObject": "GET", "ListObjectsV2": "LIST"}
            said = " + ".join(f"{n} {names.get(op, op)}" for op, n in sorted(requests.items()))
            label = f"{size[0]}x{size[1]}, {total / count / 1000:.0f} KB each"
            print(f"{label:<22} {count:>6} {len(built):>10,} "
                  f"{min(seconds):>7.3f} {statistics.median(seconds):>8.3f} {said:>16} "
                  f"{peak / 1e6:>7.1f}")


if __name__ == "__main__":
    main()
