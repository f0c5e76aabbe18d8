"""What a run on the simulated board cost: one JSON line per run, appended to the file that
SIMBOARD_REPORT names. The HIL scenarios write them; `make bench BENCH=bench_hil` runs the
scenarios and reads them back (the worst free SRAM of any scenario is a build budget)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

ENV = "SIMBOARD_REPORT"


@dataclass(frozen=True)
class RunReport:
    scenario: str
    wall_s: float  # real seconds the run took
    sim_s: float  # simulated seconds
    free_sram_min: int  # bytes of SRAM never touched by the stack (painted at reset)
    spi_bytes: int
    # the largest distance of a stored frame's capture time from its scheduled time (schedules)
    capture_error_s: float | None = None


def record(scenario: str, board, wall_s: float, capture_error_s: float | None = None) -> None:
    """Appends the board's figures when SIMBOARD_REPORT names a file; does nothing otherwise."""
    path = os.environ.get(ENV)
    if not path:
        return
    report = RunReport(scenario, round(wall_s, 2), round(board.now(), 2),
                       board.free_sram_low_water(), board.core.spi_bytes, capture_error_s)
    with open(path, "a") as out:
        out.write(json.dumps(asdict(report)) + "\n")


def read(path: Path) -> list[RunReport]:
    if not path.exists():
        return []
    return [RunReport(**json.loads(line)) for line in path.read_text().splitlines()]
