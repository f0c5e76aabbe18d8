"""One CloudWatch embedded-metric-format log line per stored frame, for the camera silence alarm.

Lambda sends stdout to CloudWatch Logs, which turns this line into the metric
StopMotion/FramesStored{Camera=<id>} without an API call. infra/front-door.yaml alarms on it.
"""

import json
import sys
import time
from typing import TextIO

NAMESPACE = "StopMotion"
METRIC = "FramesStored"
DIMENSION = "Camera"


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
