"""A short coverage-guided run (atheris) of each fuzz target; `make fuzz` runs them for minutes."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNS = {"jpeg": 100_000, "auth": 100_000}


@pytest.mark.parametrize("target", sorted(RUNS))
def test_no_crash(target, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.security.fuzz_atheris",
            target,
            str(tmp_path / "corpus"),
            f"-runs={RUNS[target]}",
            f"-artifact_prefix={tmp_path}/",
            "-print_final_stats=1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    crashes = list(tmp_path.glob("crash-*"))
    assert result.returncode == 0 and not crashes, result.stderr[-3000:]
    executed = re.search(r"stat::number_of_executed_units:\s*(\d+)", result.stderr)
    assert executed and int(executed.group(1)) >= RUNS[target]
