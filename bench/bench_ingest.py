"""POST /frames handler cost: this app against the prototype's logic, in-process, same S3 server.

Both handlers get the same API Gateway events (the old firmware's body: the leading FF missing,
base64 encoded as API Gateway hands binary bodies to Lambda; each signed with a fresh counter) and
talk to the same local `rclone serve s3` through the same boto3 client. The prototype
base64-decodes, prepends FF and puts. This app checks the signature, claims the counter (a list
and a put of a claim object), then repairs, names, hashes and puts. Times are medians per
frame; peak memory is tracemalloc's peak above the event, as a multiple of the frame's size.
"""

import base64
import contextlib
import io
import itertools
import os
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from simboard.frames import noise_jpeg_near
from stopmotion.camera import ensure_local
from stopmotion.localstack import LocalStack

TARGETS = [("30 KB", 30_000, 60), ("100 KB", 100_000, 60), ("1 MB", 1_000_000, 20)]
MEMORY_RUNS = 3
CAMERA = "bench"


def api_event(body: bytes, authorization: str) -> dict:
    """The REST API proxy event that API Gateway sends Lambda for the camera's POST."""
    return {
        "resource": "/frames", "path": "/frames", "httpMethod": "POST",
        "headers": {"Content-Type": "image/jpeg", "Authorization": authorization},
        "multiValueHeaders": {}, "multiValueQueryStringParameters": None, "pathParameters": None,
        "stageVariables": None, "isBase64Encoded": True,
        "body": base64.b64encode(body).decode("ascii"),
        "requestContext": {"resourcePath": "/frames", "httpMethod": "POST", "path": "/api/frames",
                           "stage": "api", "requestId": "bench"},
    }


def prototype_handler(client, bucket):
    """The prototype's Lambda logic, with the same client: decode, glue FF back on, put."""

    def handler(event, context):
        body = b"\xff" + base64.b64decode(event["body"])
        client.put_object(Bucket=bucket, Key=time.strftime("prototype/%Y-%d-%m_%H.jpg"), Body=body)
        return {"statusCode": 200, "body": "ok"}

    return handler


def per_frame(handlers, events: list[dict]) -> list[float]:
    """Median seconds per call of each handler(event, None), calls interleaved so that both
    see the same machine load."""
    times: list[list[float]] = [[] for _ in handlers]
    for event in events:
        for handler, samples in zip(handlers, times, strict=True):
            start = time.perf_counter()
            response = handler(event, None)
            samples.append(time.perf_counter() - start)
            assert response["statusCode"] in (200, 201), response
    return [statistics.median(samples) for samples in times]


def peak_bytes(handler, events: list[dict]) -> int:
    """Most memory allocated at once during handler(event, None), beyond what existed before."""
    peaks = []
    for event in events:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        handler(event, None)
        peaks.append(tracemalloc.get_traced_memory()[1] - before)
        tracemalloc.stop()
    return min(peaks)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, LocalStack(
        Path(tmp) / "data", log_file=Path(tmp) / "stack.log"
    ) as stack:
        os.environ.update({name: stack.env[name] for name in (
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
            "AWS_ENDPOINT_URL_S3", "FRAMES_BUCKET", "SECRETS_FILE")})
        import app
        from chalicelib import ingest, jpeg
        from chalicelib.protocol import upload

        secret, _ = ensure_local(stack.secrets_file, CAMERA)
        counters = itertools.count(1)

        def events(body: bytes, count: int) -> list[dict]:
            return [api_event(body, upload.authorization(secret, CAMERA, next(counters), body))
                    for _ in range(count)]

        store = app.get_store()
        ours = app.app
        prototype = prototype_handler(store.client, store.bucket)
        print(f"{'frame':>7} {'bytes':>9} | {'app ms':>7} {'proto ms':>8} {'ratio':>5} | "
              f"{'ingest ms':>9} {'repair ms':>9} {'share':>6} | {'peak app':>11} "
              f"{'peak proto':>11}")
        for label, target, runs in TARGETS:
            frame = noise_jpeg_near(target)
            body = frame[1:]  # the old firmware dropped the first byte
            assert jpeg.repair(body).data == frame
            with contextlib.redirect_stdout(io.StringIO()):  # the per-frame metric log line
                per_frame([ours, prototype], events(body, 2))  # warm up: connections, imports
                app_s, proto_s = per_frame([ours, prototype], events(body, runs))
                app_peak = peak_bytes(ours, events(body, MEMORY_RUNS))
                proto_peak = peak_bytes(prototype, events(body, MEMORY_RUNS))
            repair_s = statistics.median(
                _timed(jpeg.repair, body) for _ in range(runs * 5))
            ingest_s = statistics.median(
                _timed(lambda b: ingest.ingest(store, b, CAMERA), body) for _ in range(runs))
            print(f"{label:>7} {len(frame):>9} | {app_s * 1e3:7.2f} {proto_s * 1e3:8.2f} "
                  f"{app_s / proto_s:5.2f} | {ingest_s * 1e3:9.2f} {repair_s * 1e3:9.3f} "
                  f"{repair_s / app_s:6.1%} | "
                  f"{app_peak / len(frame):9.2f} x {proto_peak / len(frame):9.2f} x")
        print("ratio = app / prototype handler; ingest = repair, name, hash and put alone (no\n"
              "decode, signature or counter claim); share = repair / app handler;\n"
              "peak = x frame size. Goals: share < 5% at 100 KB, peak app < 3 x.")


def _timed(function, argument) -> float:
    start = time.perf_counter()
    function(argument)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
