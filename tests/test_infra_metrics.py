"""The metric lines (a frame stored, a camera checked) are embedded metric format."""

import io
import json
import time

import pytest

from chalicelib import metrics
from tests.conftest import camera_post

UNITS = {
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
}


def check_emf(line: str) -> dict:
    """Assert `line` is an embedded-metric-format document CloudWatch Logs will extract; return it.

    The rules are those of CloudWatch's "Specification: Embedded metric format".
    """
    assert "\n" not in line, "one log event, one line"
    root = json.loads(line)
    assert isinstance(root, dict), "the root node is a JSON object"
    meta = root["_aws"]
    assert set(meta) >= {"Timestamp", "CloudWatchMetrics"}
    assert isinstance(meta["Timestamp"], int), "milliseconds since the epoch, a number"
    assert abs(meta["Timestamp"] - time.time() * 1000) < 60_000, "a timestamp in milliseconds, now"
    assert meta["CloudWatchMetrics"], "at least one metric directive"
    for directive in meta["CloudWatchMetrics"]:
        assert set(directive) == {"Namespace", "Dimensions", "Metrics"}
        assert isinstance(directive["Namespace"], str) and 0 < len(directive["Namespace"]) <= 255
        for dimension_set in directive["Dimensions"]:
            assert isinstance(dimension_set, list) and len(dimension_set) <= 30
            for name in dimension_set:
                assert isinstance(root[name], str), (
                    f"dimension {name} is a string member of the root"
                )
                assert 0 < len(root[name]) <= 1024
        assert 0 < len(directive["Metrics"]) <= 100
        for definition in directive["Metrics"]:
            assert set(definition) <= {"Name", "Unit", "StorageResolution"}
            assert definition.get("Unit", "None") in UNITS
            assert definition.get("StorageResolution", 60) in (1, 60)
            value = root[definition["Name"]]
            values = value if isinstance(value, list) else [value]
            assert 0 < len(values) <= 100
            assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    return root


def logged_line(camera: str = "garden-1", key: str = "frames/garden-1/x.jpg") -> str:
    out = io.StringIO()
    metrics.record_frame_stored(camera, key, out=out)
    text = out.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1
    return text.rstrip("\n")


def test_line_is_embedded_metric_format():
    root = check_emf(logged_line())
    assert root["Camera"] == "garden-1"
    assert root["FramesStored"] == 1
    assert root["key"] == "frames/garden-1/x.jpg"


def test_check_rejects_a_metric_without_its_value():
    broken = json.loads(logged_line())
    del broken["FramesStored"]
    with pytest.raises(KeyError):
        check_emf(json.dumps(broken))


def test_check_rejects_a_numeric_dimension():
    broken = json.loads(logged_line())
    broken["Camera"] = 7
    with pytest.raises(AssertionError):
        check_emf(json.dumps(broken))


def test_a_camera_checked_line_is_embedded_metric_format():
    out = io.StringIO()
    metrics.record_camera_checked("garden-1", 2, 7.5, out=out)
    root = check_emf(out.getvalue().rstrip("\n"))
    found = (root["Camera"], root["MissedFrames"], root["HoursSinceLastFrame"])
    assert found == ("garden-1", 2, 7.5)
    (directive,) = root["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == metrics.NAMESPACE == "StopMotion"


def test_a_camera_never_seen_has_no_hours_since_its_last_frame():
    out = io.StringIO()
    metrics.record_camera_checked("new-1", 0, None, out=out)
    root = check_emf(out.getvalue().rstrip("\n"))
    assert "HoursSinceLastFrame" not in root and root["MissedFrames"] == 0
    (directive,) = root["_aws"]["CloudWatchMetrics"]
    assert [m["Name"] for m in directive["Metrics"]] == ["MissedFrames"]


def metric_lines(stack) -> list[str]:
    """Every embedded-metric line chalice local has logged so far (other tests' too)."""
    lines = stack.log_file.read_text(errors="replace").splitlines()
    return [line for line in lines if line.startswith('{"_aws"')]


def test_each_stored_frame_logs_one_line(local_stack, sample_frame):
    status, _, body = camera_post(local_stack.api_url, sample_frame, camera="metric-cam")
    assert status == 201
    key = json.loads(body)["key"]
    (line,) = [line for line in metric_lines(local_stack) if json.loads(line).get("key") == key]
    doc = check_emf(line)  # only this test's line: the shared stack's older lines are not "now"
    assert (doc["Camera"], doc["FramesStored"]) == ("metric-cam", 1)


def test_a_rejected_body_logs_no_metric(local_stack):
    status, _, _ = camera_post(local_stack.api_url, b"no jpeg here", camera="metric-reject")
    assert 400 <= status < 500
    cameras = [json.loads(line).get("Camera") for line in metric_lines(local_stack)]
    assert "metric-reject" not in cameras
