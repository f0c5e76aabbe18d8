"""`python -m simboard run`: the documented way to put any ELF on the simulated board."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from simboard.firmware import PROJECT_DIR

pytestmark = pytest.mark.hil


def simboard_run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simboard", "run", *args], cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=240)


def test_the_firmware_stores_a_frame_through_the_command(hil_elf, hil_stack, eeprom, tmp_path,
                                                         stack_clock):
    elf, _ = hil_elf
    saved = tmp_path / "eeprom.bin"
    saved.write_bytes(eeprom)  # the board of the other scenarios: its signed counter goes on
    # The camera's hello asks when to capture (every minute, tests/hil/conftest.py): the service's
    # clock 20 s before a minute, so the answer says 20 s or less (the board's seconds run faster
    # than the wall clock's, so it may wait for the next minute: --seconds covers that).
    stack_clock(40 - time.time() % 60)
    result = simboard_run(str(elf), "--api", hil_stack.api_url, "--link", "wan30",
                          "--until", r"upload attempt \d+: HTTP 201", "--seconds", "100",
                          "--eeprom", str(saved))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "camera: SPI 8 MHz, FIFO rewind bit 0x10" in result.stdout
    assert "HTTP answers [200, 201]" in result.stderr  # the hello, the frame
    eeprom[:] = saved.read_bytes()


def test_a_line_that_never_comes_exits_1(hil_elf, hil_stack):
    elf, _ = hil_elf
    result = simboard_run(str(elf), "--api", hil_stack.api_url, "--camera", "absent",
                          "--until", "captured", "--seconds", "3")
    assert result.returncode == 1
    assert "camera: ArduChip does not answer" in result.stdout


def test_only_loopback_apis(hil_elf):
    result = simboard_run(str(hil_elf[0]), "--api", "http://192.0.2.1:80")
    assert result.returncode != 0 and "loopback only" in result.stderr
