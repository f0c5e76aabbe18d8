"""Build the real firmware with another config header (the offline build's CONFIG/BUILD knobs)
and read the symbols the harness needs from the ELF."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The firmware configuration of the simulated board (short intervals and timeouts, a test key): the
# HIL scenarios and the benches build with it and read what they need of it through settings().
HIL_CONFIG = PROJECT_DIR / "tests" / "hil" / "config.h"
# The SRAM budget: bytes free at the worst moment of any scenario (the HIL tests assert it).
SRAM_FREE_MIN = 512


def build(config: Path, out_dir: Path) -> Path:
    """`make -C firmware CONFIG=<config> BUILD=<out_dir>`; returns the ELF path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            "make",
            "-C",
            str(PROJECT_DIR / "firmware"),
            f"CONFIG={config.resolve()}",
            f"BUILD={out_dir.resolve()}",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"firmware build failed:\n{result.stdout}\n{result.stderr}")
    elf = out_dir / "firmware.elf"
    if not elf.exists():
        raise RuntimeError(f"firmware build left no {elf}:\n{result.stdout}")
    return elf


def symbol(elf: Path, name: str) -> int:
    """Address of a symbol (data addresses without the 0x800000 SRAM offset)."""
    out = subprocess.run(["avr-nm", str(elf)], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16) & 0xFFFF
    raise KeyError(f"{name} not in {elf}")


def static_ram_end(elf: Path) -> int:
    """First SRAM address past .data/.bss/.noinit: the stack may grow down to here."""
    for name in ("__heap_start", "_end"):  # _end also covers .noinit
        try:
            return symbol(elf, name)
        except KeyError:
            pass
    raise KeyError(f"no end-of-static-RAM symbol in {elf}")


@dataclass(frozen=True)
class Settings:
    """What a configuration header sets that a harness needs to know."""

    host: str  # CONFIG_HOST, the name the firmware resolves
    camera_id: str  # CONFIG_CAMERA_ID, the camera it signs as
    secret: bytes  # CONFIG_CAMERA_SECRET, empty when unset
    interval_s: int  # CONFIG_INTERVAL_S


def settings(config: Path) -> Settings:
    """Reads the #define lines of a configuration header (firmware/include/config.example.h)."""
    defines = dict(re.findall(r"^#define (CONFIG_\w+) (.+?)\s*$", config.read_text(), re.M))
    try:
        secret = defines["CONFIG_CAMERA_SECRET"].strip("{} ")
        return Settings(
            host=defines["CONFIG_HOST"].strip('"'),
            camera_id=defines["CONFIG_CAMERA_ID"].strip('"'),
            secret=bytes(int(value, 16) for value in secret.split(",")) if secret else b"",
            interval_s=int(defines["CONFIG_INTERVAL_S"].rstrip("UL")),
        )
    except (KeyError, ValueError) as err:
        raise ValueError(f"{config}: not a configuration header I can read ({err})") from None
