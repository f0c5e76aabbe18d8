"""The firmware's host unit tests (doctest, firmware/test/test_native) built with g++ and run."""

from __future__ import annotations

import os
import re
import subprocess

from .hostbuild import FIRMWARE


def test_unit_tests_pass(unit_tests):
    run = subprocess.run([str(unit_tests)], capture_output=True, text=True, timeout=120)
    summary = re.search(r"test cases:\s+(\d+) \|\s+(\d+) passed \|\s+(\d+) failed", run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    assert summary, run.stdout
    total, passed, failed = map(int, summary.groups())
    assert failed == 0 and passed == total
    assert total >= 40, f"only {total} test cases ran: were some files left out of the build?"



def test_a_wrong_auth_vector_fails_the_unit_tests(unit_tests, tmp_path):
    """The vectors really are checked: one wrong digit in a copy fails the auth test case."""
    vectors = FIRMWARE / "test" / "test_native" / "auth_vectors.txt"
    lines = vectors.read_text().splitlines()
    broken = lines[1][:-1] + ("0" if lines[1][-1] != "0" else "1")
    (tmp_path / "v.txt").write_text("\n".join([lines[0], broken]) + "\n")
    run = subprocess.run([str(unit_tests), "-tc=auth vectors*"], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "AUTH_VECTORS": str(tmp_path / "v.txt")})
    assert run.returncode != 0 and "1 failed" in run.stdout, run.stdout
