"""Build any Arduino sketch for the simulated board: Debian's avr-gcc, the Arduino AVR core and
the given libraries, with the firmware's own compiler flags (`make -C firmware print-flags` is
their one owner).

A library is a folder in the Arduino layout: its sources under `src/` (recursively), or in the
folder itself when there is no `src/`. Objects go into the output folder, never beside the
sources, so read-only libraries (../shared/oracles) build as they are.
"""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from simboard.firmware import PROJECT_DIR

ARDUINO_LIBRARIES = Path("/usr/share/arduino/hardware/arduino/avr/libraries")
SOURCE_SUFFIXES = (".c", ".cpp", ".S")


class BuildError(RuntimeError):
    """The sketch did not compile or link; the message carries the compiler's output."""


@dataclass(frozen=True)
class Flags:
    core_dir: Path
    variant_dir: Path
    cxxflags: tuple[str, ...]
    cflags: tuple[str, ...]
    asflags: tuple[str, ...]
    ldflags: tuple[str, ...]


@functools.cache
def flags() -> Flags:
    out = subprocess.run(
        ["make", "-s", "-C", str(PROJECT_DIR / "firmware"), "--no-print-directory", "print-flags"],
        capture_output=True, text=True, check=True,
    ).stdout
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return Flags(
        Path(values["core_dir"]), Path(values["variant_dir"]),
        *(tuple(shlex.split(values[k])) for k in ("cxxflags", "cflags", "asflags", "ldflags")),
    )


def library(name: str) -> Path:
    """One of the Arduino core's own libraries (SPI, Wire, EEPROM)."""
    return ARDUINO_LIBRARIES / name


def _sources(root: Path) -> list[Path]:
    base = root / "src" if (root / "src").is_dir() else root
    walk = base.rglob("*") if base != root else base.glob("*")
    return sorted(p for p in walk if p.suffix in SOURCE_SUFFIXES and "examples" not in p.parts)


def _include_dir(root: Path) -> Path:
    return root / "src" if (root / "src").is_dir() else root


def _compile(source: Path, obj: Path, command: list[str]) -> None:
    obj.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([*command, "-c", str(source), "-o", str(obj)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"compiling {source} failed:\n{result.stderr}")


def build(
    sketch: list[Path],
    libraries: list[Path],
    out_dir: Path,
    include: list[Path] = (),
    forced_includes: list[Path] = (),
) -> Path:
    """Compiles the sketch's sources, each library and the core into out_dir; returns the ELF.

    include: extra header folders, searched first (a sketch's generated configuration header);
    forced_includes: headers read before every unit (`-include`), e.g. a configuration header
    that a library would otherwise take from its own folder.
    """
    f = flags()
    out_dir.mkdir(parents=True, exist_ok=True)
    includes = [*include, *map(_include_dir, libraries), f.core_dir, f.variant_dir]
    common = [f"-I{d}" for d in includes]
    common += [arg for h in forced_includes for arg in ("-include", str(h))]
    commands = {
        ".cpp": ["avr-g++", *f.cxxflags, *common],
        ".c": ["avr-gcc", *f.cflags, *common],
        ".S": ["avr-gcc", *f.asflags, *common],
    }
    units: list[tuple[Path, Path]] = []
    for group, sources in [("sketch", sketch), *((lib.name, _sources(lib)) for lib in libraries),
                           ("core", _sources(f.core_dir))]:
        for source in sources:
            tag = hashlib.sha256(str(source).encode()).hexdigest()[:8]
            units.append((source, out_dir / "obj" / group / f"{source.name}.{tag}.o"))
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        jobs = [pool.submit(_compile, src, obj, commands[src.suffix]) for src, obj in units]
        for job in jobs:
            job.result()
    # The core goes in as an archive, as the firmware's Makefile links it: only what is used.
    core = out_dir / "core.a"
    core.unlink(missing_ok=True)
    core_objects = [str(o) for _, o in units if o.parent.name == "core"]
    subprocess.run(["avr-gcc-ar", "rcs", str(core), *core_objects], check=True)
    objects = [str(o) for _, o in units if o.parent.name != "core"]
    elf = out_dir / "sketch.elf"
    result = subprocess.run(["avr-gcc", *f.ldflags, "-o", str(elf), *objects, str(core), "-lm"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"linking {elf} failed:\n{result.stderr}")
    return elf


def run_program(sources: list[Path], libraries: list[Path], seconds: float = 30.0) -> str:
    """Builds a bare program (its own main(), talking only over the UART) in a temporary folder,
    runs it on the simulated ATmega328P until it stops, and returns what it printed."""
    from simboard.core import run_program as run_elf

    with tempfile.TemporaryDirectory() as tmp:
        return run_elf(build(sources, libraries, Path(tmp)), seconds)
