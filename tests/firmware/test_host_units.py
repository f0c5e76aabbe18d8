"""The firmware's host unit tests (doctest, firmware/test/test_native) built with g++ and run."""

from __future__ import annotations

import re
import subprocess


def test_unit_tests_pass(unit_tests):
    run = subprocess.run([str(unit_tests)], capture_output=True, text=True, timeout=120)
    summary = re.search(r"test cases:\s+(\d+) \|\s+(\d+) passed \|\s+(\d+) failed", run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    assert summary, run.stdout
    total, passed, failed = map(int, summary.groups())
    assert failed == 0 and passed == total
    assert total >= 40, f"only {total} test cases ran: were some files left out of the build?"

