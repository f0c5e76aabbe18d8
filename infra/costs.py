"""What the deployed system costs a month per camera, before free tiers: `python -m infra.costs`.

Both ways of deploying create the same billed parts (two functions, REST API, distribution,
bucket, SNS topic, metrics), so one table serves both. us-east-1 list prices.
"""

from chalicelib import metrics

# From /work/shared/docs/facts.md (the project's checked prices).
LAMBDA_PER_REQUEST = 0.20 / 1e6
LAMBDA_PER_GB_SECOND = 0.0000166667
S3_PER_PUT = 0.005 / 1000
CLOUDFRONT_PER_HTTP_REQUEST = 0.0075 / 10_000
# From the AWS pricing pages (not yet in facts.md): REST API requests, S3 Standard storage, S3
# GET (LIST is billed as a PUT), one custom metric, log ingestion.
API_GATEWAY_PER_REQUEST = 3.50 / 1e6
S3_PER_GB_MONTH = 0.023
S3_PER_GET = 0.0004 / 1000
METRIC_PER_MONTH = 0.30
LOGS_PER_GB = 0.50

LAMBDA_GB = 128 / 1024  # MemorySize of the packaged function
LAMBDA_MB_PER_VCPU = 1769  # Lambda's CPU grows with memory: one whole vCPU at this MemorySize
BILLED_SECONDS = 1.0  # a generous bound per frame; the ingest bench measures the real handler time
LOG_BYTES_PER_FRAME = 1_000  # Lambda's START/END/REPORT lines plus the metric line
DAYS = 30
# Per frame, PUT-class S3 requests: the claim, the LIST of its counter space, the frame, the
# claim's stored mark, the camera's status object (chalicelib/fleet.py); and one GET, the status.
S3_WRITES_PER_FRAME, S3_GETS_PER_FRAME = 5, 1
# The hourly fleet check, per camera: one LIST of its window and one GET of its status object
# (bench_fleet counted 2.00 requests a camera at 1,000 cameras: GetObject 1,001 and ListObjectsV2
# 1,001, the extra two for the whole fleet: its folders and the alarm's state, plus one PutObject
# when the alarm goes out; tests/test_fleet_service.py holds the check to these counts), the
# Lambda time it takes and its metrics line. The time: `make bench BENCH=bench_fleet` ran 1,000
# cameras x 30 days in 4.0 to 5.9 s here on 3.0 to 4.6 s of CPU (four runs, S3 on loopback); a
# 128 MB Lambda has 128/1769 of a vCPU, so 41 to 63 s there, 0.041 to 0.063 s a camera: 0.07,
# rounded up.
CHECKS_PER_MONTH = 24 * DAYS
CHECK_LISTS_PER_CAMERA, CHECK_GETS_PER_CAMERA = 1, 1
CHECK_SECONDS_PER_CAMERA = 0.07
CHECK_LOG_BYTES_PER_CAMERA = 250
# Custom metrics per camera (chalicelib/metrics.py): FramesStored (a line per stored frame),
# MissedFrames and HoursSinceLastFrame (a line per camera each hourly check).
METRICS = (metrics.METRIC, metrics.MISSED, metrics.SILENCE)
METRICS_PER_CAMERA = len(METRICS)
# A camera that sends Stopmotion-Health adds one metric per whole-number token (FreeSram, ...):
# up to this many more. Firmware 0.2.0 sends no health yet.
HEALTH_METRICS_PER_CAMERA = len(metrics.HEALTH_METRICS)
PER_FRAME_CARRIED = (
    CLOUDFRONT_PER_HTTP_REQUEST + API_GATEWAY_PER_REQUEST + LAMBDA_PER_REQUEST
    + LAMBDA_GB * BILLED_SECONDS * LAMBDA_PER_GB_SECOND
)


def per_month(frames_per_day: float, frame_bytes: int, months_kept: int = 12) -> dict[str, float]:
    """Dollars a month per camera, by part, with `months_kept` months of frames in the bucket."""
    frames = frames_per_day * DAYS
    stored_gb = frames * months_kept * frame_bytes / 1e9
    check_lambda = (CHECKS_PER_MONTH * CHECK_SECONDS_PER_CAMERA * LAMBDA_GB
                    * LAMBDA_PER_GB_SECOND)
    return {
        "requests (CloudFront + API + Lambda)": frames * PER_FRAME_CARRIED,
        "S3 requests": frames * (S3_WRITES_PER_FRAME * S3_PER_PUT + S3_GETS_PER_FRAME * S3_PER_GET),
        f"S3 storage after {months_kept} months": stored_gb * S3_PER_GB_MONTH,
        "logs": (frames * LOG_BYTES_PER_FRAME + CHECKS_PER_MONTH * CHECK_LOG_BYTES_PER_CAMERA)
        / 1e9 * LOGS_PER_GB,
        "hourly check (Lambda + S3)": check_lambda + CHECKS_PER_MONTH
        * (CHECK_LISTS_PER_CAMERA * S3_PER_PUT + CHECK_GETS_PER_CAMERA * S3_PER_GET),
        f"metrics ({METRICS_PER_CAMERA} per camera)": METRICS_PER_CAMERA * METRIC_PER_MONTH,
    }


def main() -> None:
    cases = [(4, 50_000), (24, 50_000), (144, 200_000)]
    print(f"{'frames/day':>10} {'frame KB':>8}  {'part':<38} {'$ / month':>10}")
    for frames_per_day, frame_bytes in cases:
        parts = per_month(frames_per_day, frame_bytes)
        for part, dollars in parts.items():
            print(f"{frames_per_day:>10} {frame_bytes // 1000:>8}  {part:<38} {dollars:>10.4f}")
        print(f"{'':>10} {'':>8}  {'total':<38} {sum(parts.values()):>10.4f}")
    health = HEALTH_METRICS_PER_CAMERA * METRIC_PER_MONTH
    print(f"A camera that reports its health (Stopmotion-Health) adds up to "
          f"{HEALTH_METRICS_PER_CAMERA} custom metrics: up to ${health:.2f} a month more.")


if __name__ == "__main__":
    main()
