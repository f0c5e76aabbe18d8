"""CloudWatch embedded-metric-format log lines: one per stored frame, one per verified camera
request that carries the camera's health, and one per camera each time the fleet check runs
(chalicelib/fleet.py).

Lambda sends stdout to CloudWatch Logs, which turns these lines into metrics without an API call:
StopMotion/FramesStored, StopMotion/MissedFrames and StopMotion/HoursSinceLastFrame, and the
health's numbers (HEALTH_METRICS: StopMotion/FreeSram, Attempts, ...), each with the dimension
Camera=<id>; the health's words (firmware, reset cause, link) and its raw value ride beside them
in the log event.
"""

import json
import sys
from typing import TextIO

from chalicelib import clock

NAMESPACE = "StopMotion"
METRIC = "FramesStored"
DIMENSION = "Camera"
# Health token (chalicelib/protocol/upload.py HEALTH_FIELDS) -> (metric name, unit): a token whose
# value is a whole number becomes a metric; any other token is kept in the line's HEALTH member.
HEALTH_METRICS = {
    "sram": ("FreeSram", "Bytes"),
    "tries": ("Attempts", "Count"),
    "queued": ("Queued", "Count"),
    "lost": ("Lost", "Count"),
    "boots": ("Boots", "Count"),
    "up": ("Uptime", "Seconds"),
    "dhcp": ("DhcpRenewals", "Count"),
    "lead": ("BurstLeadIn", "Count"),
    "spi": ("SpiKHz", "None"),
}
HEALTH = "health"  # the raw header value, as the camera signed it
HEALTH_WORDS = {"fw": "firmware", "reset": "reset", "link": "link"}  # searchable in Logs Insights
MISSED, SILENCE = "MissedFrames", "HoursSinceLastFrame"


def frame_stored_line(camera: str, key: str, timestamp_ms: int) -> str:
    """The log line that counts one frame stored by `camera` (the object key rides along)."""
    directive = {
        "Namespace": NAMESPACE,
        "Dimensions": [[DIMENSION]],
        "Metrics": [{"Name": METRIC, "Unit": "Count"}],
    }
    document = {
        "_aws": {"Timestamp": timestamp_ms, "CloudWatchMetrics": [directive]},
        DIMENSION: camera,
        METRIC: 1,
        "key": key,
    }
    return json.dumps(document, separators=(",", ":"))


def now_ms() -> int:
    """The service's clock (chalicelib/clock.py) in milliseconds since 1970, as EMF wants it."""
    return int(clock.now().timestamp() * 1000)


def health_line(camera: str, health: str, fields: dict[str, str], timestamp_ms: int) -> str:
    """The log line of one camera request's health (fields: upload.parse_health of health)."""
    numbers = {name: int(value) for name, value in fields.items()
               if name in HEALTH_METRICS and value.isdigit()}
    document = {
        DIMENSION: camera,
        **{HEALTH_METRICS[name][0]: value for name, value in numbers.items()},
        **{word: fields[name] for name, word in HEALTH_WORDS.items() if name in fields},
        HEALTH: health,
    }
    if numbers:  # else nothing to measure: a plain log event, not a metric document
        directive = {
            "Namespace": NAMESPACE,
            "Dimensions": [[DIMENSION]],
            "Metrics": [{"Name": HEALTH_METRICS[name][0], "Unit": HEALTH_METRICS[name][1]}
                        for name in numbers],
        }
        document = {"_aws": {"Timestamp": timestamp_ms, "CloudWatchMetrics": [directive]},
                    **document}
    return json.dumps(document, separators=(",", ":"))


def record_health(camera: str, health: str, fields: dict[str, str],
                  out: TextIO | None = None) -> None:
    """Log the line of one request's health, now, as a single line on stdout."""
    print(health_line(camera, health, fields, now_ms()), file=out or sys.stdout, flush=True)


def record_frame_stored(camera: str, key: str, out: TextIO | None = None) -> None:
    """Log the line for one stored frame, now, as a single line on stdout."""
    print(
        frame_stored_line(camera, key, now_ms()), file=out or sys.stdout, flush=True
    )


def camera_checked_line(camera: str, missed: int, hours: float | None, timestamp_ms: int) -> str:
    """The log line of one camera's check: the frames it missed in the window and the hours since
    its last frame (left out for a camera never seen: no value is not zero)."""
    values = {MISSED: missed} if hours is None else {MISSED: missed, SILENCE: hours}
    units = {MISSED: "Count", SILENCE: "None"}
    directive = {
        "Namespace": NAMESPACE,
        "Dimensions": [[DIMENSION]],
        "Metrics": [{"Name": name, "Unit": units[name]} for name in values],
    }
    document = {
        "_aws": {"Timestamp": timestamp_ms, "CloudWatchMetrics": [directive]},
        DIMENSION: camera,
        **values,
    }
    return json.dumps(document, separators=(",", ":"))


def record_camera_checked(camera: str, missed: int, hours: float | None,
                          out: TextIO | None = None) -> None:
    print(camera_checked_line(camera, missed, hours, now_ms()),
          file=out or sys.stdout, flush=True)
