"""While a request waits for the real service's answer, the board's simulated time runs no faster
than the wall clock, however slowly the request itself was simulated (the service's latency must
count as on a real board, not as fast as the simulator can poll)."""

from __future__ import annotations

from types import SimpleNamespace

from simboard import board as board_module
from simboard.board import Board
from simboard.core import F_CPU


class Clocks:
    """A wall clock that moves only when told (or when the board sleeps in select)."""

    def __init__(self):
        self.wall = 0.0
        self.slept = 0.0

    def monotonic(self) -> float:
        return self.wall

    def select(self, readable, writable, errors, timeout):
        self.wall += timeout
        self.slept += timeout
        return [], [], []


def test_a_slowly_simulated_request_does_not_let_the_wait_run_ahead(monkeypatch):
    clocks = Clocks()
    monkeypatch.setattr(board_module.time, "monotonic", clocks.monotonic)
    monkeypatch.setattr(board_module.select, "select", clocks.select)
    board = Board.__new__(Board)  # only the pacing: no core, no models
    board.core = SimpleNamespace(cycle=0)
    board.network = SimpleNamespace(awaiting_peer=True, sockets=lambda: [])
    board._pace = None

    def step(sim_s: float, wall_s: float) -> None:
        board.core.cycle += round(sim_s * F_CPU)
        clocks.wall += wall_s
        board._hold_to_wall_time()

    for _ in range(100):  # sending: 0.2 s of simulated time took 1 s of wall time
        step(0.002, 0.010)
    assert clocks.slept == 0
    for _ in range(50):  # waiting: the simulator polls 0.05 s in no wall time at all
        step(0.001, 0.0)
    assert abs(clocks.slept - 0.05) < 1e-9  # held to the wall clock: the wait took 0.05 s
