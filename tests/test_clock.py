"""chalicelib/clock.py: the service's clock, its offset file for tests and `serve --clock`, and
that a deployed stage can never run on it."""

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib import clock
from stopmotion.localstack import PROJECT_DIR


def system_s() -> float:
    return datetime.now(UTC).timestamp()


def test_without_the_variable_or_the_file_the_clock_is_the_systems(tmp_path):
    for environ in ({}, {clock.ENV: ""}, {clock.ENV: str(tmp_path / "absent")}):
        assert clock.offset_s(environ) == 0
        assert abs(clock.now(environ).timestamp() - system_s()) < 1
        assert clock.now(environ).tzinfo is UTC


def test_the_offset_is_read_at_every_call(tmp_path):
    path = tmp_path / "clock"
    environ = {clock.ENV: str(path)}
    clock.write_offset(path, 86400.5)
    assert abs(clock.now(environ).timestamp() - system_s() - 86400.5) < 1
    clock.write_offset(path, -3600)
    assert clock.offset_s(environ) == -3600
    path.unlink()
    assert clock.offset_s(environ) == 0


@pytest.mark.parametrize("text", ["", "soon", "1e400", "nan", "3600 s", str(10**10)])
def test_a_file_without_an_offset_is_an_error_that_says_what_to_write(tmp_path, text):
    path = tmp_path / "clock"
    path.write_text(text)
    with pytest.raises(clock.ClockError, match="offset in seconds as one decimal number"):
        clock.now({clock.ENV: str(path)})


def test_lambda_refuses_a_clock_file(tmp_path):
    path = tmp_path / "clock"
    clock.write_offset(path, 0)
    in_lambda = {clock.LAMBDA_ENV: "stopmotion-ingest-dev", clock.ENV: str(path)}
    with pytest.raises(clock.ClockError, match="inside Lambda"):
        clock.now(in_lambda)
    path.unlink()  # even when the file is missing: the variable alone is the mistake
    with pytest.raises(clock.ClockError, match="inside Lambda"):
        clock.now(in_lambda)
    assert abs(clock.now({clock.LAMBDA_ENV: "x"}).timestamp() - system_s()) < 1


def test_no_deployed_configuration_names_a_clock_file():
    """The stages of .chalice/config.json (the local one included: the local stack passes the
    variable itself) and every template that deploys the function leave the clock alone."""
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    for name, stage in config["stages"].items():
        assert clock.ENV not in stage.get("environment_variables", {}), name
    assert clock.ENV not in config.get("environment_variables", {})
    deployed = [*(PROJECT_DIR / "infra").glob("*.yaml"), *(PROJECT_DIR / ".chalice").glob("*.json")]
    assert len(deployed) >= 3
    for path in deployed:
        assert clock.ENV not in path.read_text(), path


def test_an_offset_out_of_range_is_not_written(tmp_path):
    for offset in (float("nan"), float("inf"), 2 * clock.MAX_OFFSET_S):
        with pytest.raises(ValueError):
            clock.write_offset(tmp_path / "clock", offset)
    assert not (tmp_path / "clock").exists()


def test_the_service_takes_every_now_from_the_clock():
    """Read from the source: no module of the service reads the system's wall clock itself."""
    sources = [PROJECT_DIR / "app.py", *(PROJECT_DIR / "chalicelib").rglob("*.py")]
    for source in sources:
        if source.name == "clock.py":
            continue
        text = source.read_text()
        for call in ("datetime.now(", "time.time(", "datetime.utcnow(", "date.today("):
            assert call not in text, f"{source.relative_to(PROJECT_DIR)} calls {call}"


def test_metric_lines_are_stamped_by_the_clock(tmp_path, monkeypatch):
    from chalicelib import metrics

    path = tmp_path / "clock"
    clock.write_offset(path, -7200)
    monkeypatch.setenv(clock.ENV, str(path))
    assert abs(metrics.now_ms() / 1000 - (time.time() - 7200)) < 1
    assert Path(path).read_text().strip() == "-7200"
