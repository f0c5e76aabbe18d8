"""Build the real firmware with another config header (the offline build's CONFIG/BUILD knobs)
and read the symbols the harness needs from the ELF."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


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


def camera_secret(config: Path) -> bytes:
    """The CONFIG_CAMERA_SECRET bytes ({0x.., ...}) of a config header."""
    match = re.search(r"#define CONFIG_CAMERA_SECRET \{([^}]*)\}", config.read_text())
    if not match or not match.group(1).strip():
        raise ValueError(f"{config} sets no CONFIG_CAMERA_SECRET bytes")
    return bytes(int(value, 16) for value in match.group(1).split(","))
