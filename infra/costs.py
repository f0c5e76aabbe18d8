"""What the deployed system costs a month per camera, before free tiers: `python -m infra.costs`.

Both ways of deploying create the same billed parts (function, REST API, distribution, bucket,
metric, alarm), so one table serves both. us-east-1 list prices.
"""

# From /work/shared/docs/facts.md (the project's checked prices).
LAMBDA_PER_REQUEST = 0.20 / 1e6
LAMBDA_PER_GB_SECOND = 0.0000166667
S3_PER_PUT = 0.005 / 1000
CLOUDFRONT_PER_HTTP_REQUEST = 0.0075 / 10_000
# From the AWS pricing pages (not yet in facts.md): REST API requests, S3 Standard storage,
# one custom metric, one standard alarm, log ingestion.
API_GATEWAY_PER_REQUEST = 3.50 / 1e6
S3_PER_GB_MONTH = 0.023
METRIC_PER_MONTH = 0.30
ALARM_PER_MONTH = 0.10
LOGS_PER_GB = 0.50

LAMBDA_GB = 128 / 1024  # MemorySize of the packaged function
BILLED_SECONDS = 1.0  # a generous bound per frame; the ingest bench measures the real handler time
LOG_BYTES_PER_FRAME = 1_000  # Lambda's START/END/REPORT lines plus the metric line
DAYS = 30
PER_FRAME_CARRIED = (
    CLOUDFRONT_PER_HTTP_REQUEST + API_GATEWAY_PER_REQUEST + LAMBDA_PER_REQUEST
    + LAMBDA_GB * BILLED_SECONDS * LAMBDA_PER_GB_SECOND
)


def per_month(frames_per_day: float, frame_bytes: int, months_kept: int = 12) -> dict[str, float]:
    """Dollars a month per camera, by part, with `months_kept` months of frames in the bucket."""
    frames = frames_per_day * DAYS
    stored_gb = frames * months_kept * frame_bytes / 1e9
    return {
        "requests (CloudFront + API + Lambda)": frames * PER_FRAME_CARRIED,
        "S3 PUTs": frames * S3_PER_PUT,
        f"S3 storage after {months_kept} months": stored_gb * S3_PER_GB_MONTH,
        "logs": frames * LOG_BYTES_PER_FRAME / 1e9 * LOGS_PER_GB,
        "silence metric + alarm": METRIC_PER_MONTH + ALARM_PER_MONTH,
    }


def main() -> None:
    cases = [(4, 50_000), (24, 50_000), (144, 200_000)]
    print(f"{'frames/day':>10} {'frame KB':>8}  {'part':<38} {'$ / month':>10}")
    for frames_per_day, frame_bytes in cases:
        parts = per_month(frames_per_day, frame_bytes)
        for part, dollars in parts.items():
            print(f"{frames_per_day:>10} {frame_bytes // 1000:>8}  {part:<38} {dollars:>10.4f}")
        print(f"{'':>10} {'':>8}  {'total':<38} {sum(parts.values()):>10.4f}")


if __name__ == "__main__":
    main()
