"""Vendor code that runs on real boards, run on the simulated board: sketches of our own that call
the pinned, unmodified vendor libraries in ../shared/oracles (read-only; built into pytest's
temporary folders, never copied into the project).

Where ../shared/oracles is missing (a clone outside this project) the vendor runs are skipped with a
message naming the folder; under CI (CI=true) a missing folder fails them instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simboard import sketch
from simboard.firmware import PROJECT_DIR

ORACLES = PROJECT_DIR.parent / "shared" / "oracles"
SKETCHES = Path(__file__).with_name("sketches")

pytestmark = pytest.mark.conformance


def oracle(name: str) -> Path:
    """A vendor library folder under ../shared/oracles; skips (fails under CI) when absent."""
    folder = ORACLES / name
    if not folder.is_dir():
        message = (f"vendor library {folder} is missing: the conformance runs need "
                   "../shared/oracles beside the checkout")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return folder


def header(path: Path, defines: dict[str, str]) -> Path:
    """Writes a configuration header of #defines for a sketch."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["#pragma once", *(f"#define {name} {value}" for name, value in defines.items())]
    path.write_text("\n".join(lines) + "\n")
    return path


def c_bytes(data: bytes) -> str:
    return "{" + ", ".join(f"0x{b:02x}" for b in data) + "}"


def c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_sketch(out: Path, sketch_file: str, libraries: list[Path], **options) -> Path:
    return sketch.build([SKETCHES / sketch_file], libraries, out, **options)
