"""CloudWatch embedded-metric-format log lines: one per stored frame, and one per camera each
time the fleet check runs (chalicelib/fleet.py).

Lambda sends stdout to CloudWatch Logs, which turns these lines into the metrics
StopMotion/FramesStored, StopMotion/MissedFrames and StopMotion/HoursSinceLastFrame, each with
the dimension Camera=<id>, without an API call.
"""

import json
import sys
import time
from typing import TextIO

NAMESPACE = "StopMotion"
METRIC = "FramesStored"
DIMENSION = "Camera"
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


def record_frame_stored(camera: str, key: str, out: TextIO | None = None) -> None:
    """Log the line for one stored frame, now, as a single line on stdout."""
    print(
        frame_stored_line(camera, key, int(time.time() * 1000)), file=out or sys.stdout, flush=True
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
    print(camera_checked_line(camera, missed, hours, int(time.time() * 1000)),
          file=out or sys.stdout, flush=True)
