"""Builds the firmware's hardware-free libraries for the host with g++, as `pio test -e native`
would: every library under firmware/lib except those the native env ignores in platformio.ini."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"
PIO = ROOT / ".venv" / "bin" / "pio"
DOCTEST_INCLUDE = Path("/usr/include/doctest")


def pio_config() -> dict[str, dict[str, object]]:
    """platformio.ini as PlatformIO itself parses it (works offline)."""
    out = subprocess.run(
        [str(PIO), "project", "config", "-d", str(FIRMWARE), "--json-output"],
        check=True, capture_output=True, text=True,
    ).stdout
    return {section: dict(items) for section, items in json.loads(out)}


def host_libraries() -> list[Path]:
    ignored = set(pio_config()["env:native"].get("lib_ignore", []))
    return sorted(d for d in (FIRMWARE / "lib").iterdir() if d.is_dir() and d.name not in ignored)


def compile_host(sources: list[Path], output: Path, extra_includes: list[Path] = ()) -> Path:
    """Compiles sources plus the host libraries into one executable, with sanitizers on."""
    libs = host_libraries()
    lib_sources = [s for d in libs for s in sorted(d.glob("*.cpp"))]
    flags = str(pio_config()["env:native"]["build_flags"][0]).split()
    cmd = ["g++", *flags, "-Werror", "-g", "-fsanitize=address,undefined",
           "-fno-sanitize-recover=all",
           *(f"-I{d}" for d in [*libs, *extra_includes]),
           *map(str, sources), *map(str, lib_sources), "-o", str(output)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return output
