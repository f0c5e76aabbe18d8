"""platformio.ini (for users with internet) and the offline Makefile (here and in CI) build the
same sources with the same flags, and the offline build stays within the flash and RAM budgets."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .hostbuild import FIRMWARE, pio_config


def make(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(FIRMWARE), "--no-print-directory", *args],
                          capture_output=True, text=True, timeout=600, check=check)


def offline_config() -> dict[str, str]:
    lines = make("print-config").stdout.splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_uno_env_matches_the_offline_build():
    uno = pio_config()["env:uno"]
    offline = offline_config()
    assert uno["platform"] == "atmelavr" and uno["board"] == "uno"
    assert uno["framework"] == ["arduino"]
    assert uno["board_build.mcu"] == offline["mcu"]
    assert uno["board_build.f_cpu"] == offline["f_cpu"]
    assert " ".join(uno["build_flags"]).split() == offline["build_flags"].split()
    # Nothing that would make PlatformIO compile other sources than the Makefile does.
    for key in ("build_src_filter", "src_filter", "lib_deps", "lib_ignore", "lib_extra_dirs",
                "build_unflags", "src_dir", "lib_dir", "include_dir"):
        assert key not in uno, key


def test_offline_build_compiles_every_project_source():
    """PlatformIO compiles src/ and each library under lib/ (its root holds the sources)."""
    expected = sorted(str(p.relative_to(FIRMWARE)) for p in
                      [*FIRMWARE.glob("src/*.cpp"), *FIRMWARE.glob("lib/*/*.cpp")])
    assert sorted(offline_config()["sources"].split()) == expected
    assert not list(FIRMWARE.glob("lib/*/src")), "a lib/<name>/src layout would need the Makefile"


def test_native_env_ignores_only_hardware_libraries():
    native = pio_config()["env:native"]
    ignored = set(native["lib_ignore"])
    assert ignored <= {p.name for p in (FIRMWARE / "lib").iterdir()}
    for name in ignored:  # each ignored library touches the AVR or the Arduino core
        text = "".join(p.read_text() for p in (FIRMWARE / "lib" / name).glob("*.*"))
        assert re.search(r"#include <(Arduino|avr/)", text), name


def sizes(output: str) -> tuple[int, int]:
    flash = int(re.search(r"^flash: (\d+) bytes", output, re.M).group(1))
    ram = int(re.search(r"^ram:\s+(\d+) bytes", output, re.M).group(1))
    return flash, ram


def test_offline_build_within_budget(tmp_path: Path):
    example = f"CONFIG={FIRMWARE / 'include' / 'config.example.h'}"  # not a local config.h
    run = make(example, f"BUILD={tmp_path}", "-j2")
    flash, ram = sizes(run.stdout)
    assert 0 < flash <= 30720 and 0 < ram <= 1100
    assert (tmp_path / "firmware.elf").stat().st_size > 0
    hex_lines = (tmp_path / "firmware.hex").read_text().splitlines()
    assert hex_lines[0].startswith(":") and hex_lines[-1] == ":00000001FF"
    # The budget check fails the build when a budget is exceeded.
    over = make(example, f"BUILD={tmp_path}", "size", "FLASH_MAX=1000", check=False)
    assert over.returncode != 0 and "over budget" in over.stderr
    over = make(example, f"BUILD={tmp_path}", "size", "RAM_MAX=100", check=False)
    assert over.returncode != 0


def test_other_config_header_and_output_folder(tmp_path: Path):
    """CONFIG=/abs/header.h BUILD=/abs/dir: the settings show up in the ELF's flash strings."""
    header = tmp_path / "cfg.h"
    base = (FIRMWARE / "include" / "config.example.h").read_text()
    header.write_text(base.replace('"d111111abcdef8.cloudfront.net"', '"cfg-test.example.org"')
                      .replace("21600UL", "5UL"))
    out = tmp_path / "out"
    make(f"CONFIG={header}", f"BUILD={out}", "-j2")
    elf = (out / "firmware.elf").read_bytes()
    assert b"cfg-test.example.org" in elf
    assert b"d111111abcdef8.cloudfront.net" not in elf


PLACEHOLDER_HOST = b"d111111abcdef8.cloudfront.net"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """firmware/ copied without config.h, as after a fresh clone (the real one is untouched)."""
    copy = tmp_path / "firmware"
    shutil.copytree(FIRMWARE, copy, ignore=shutil.ignore_patterns("build", ".pio", "config.h"))
    return copy


def make_in(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(folder), "--no-print-directory", "-j2", *args],
                          capture_output=True, text=True, timeout=600, check=check)


def with_host(host: str) -> str:
    base = (FIRMWARE / "include" / "config.example.h").read_text()
    return base.replace(PLACEHOLDER_HOST.decode(), host)


def test_no_config_h_stops_the_build_unless_the_example_is_asked_for(checkout: Path):
    refused = make_in(checkout, check=False)
    assert refused.returncode != 0
    assert "include/config.h" in refused.stderr and "EXAMPLE_CONFIG=1" in refused.stderr
    assert not (checkout / "build" / "firmware.elf").exists()
    example = make_in(checkout, "EXAMPLE_CONFIG=1")
    assert "WARNING" in example.stderr and "config.example.h" in example.stderr
    assert PLACEHOLDER_HOST in (checkout / "build" / "firmware.elf").read_bytes()


def test_creating_then_editing_config_h_rebuilds(checkout: Path):
    """The image follows the header the build uses: created after a build, then edited."""
    elf = checkout / "build" / "firmware.elf"
    make_in(checkout, "EXAMPLE_CONFIG=1")
    (checkout / "include" / "config.h").write_text(with_host("first.example.org"))
    make_in(checkout)
    assert b"first.example.org" in elf.read_bytes() and PLACEHOLDER_HOST not in elf.read_bytes()
    (checkout / "include" / "config.h").write_text(with_host("second.example.org"))
    make_in(checkout)
    assert b"second.example.org" in elf.read_bytes()


def test_builds_that_name_no_header_stop_without_config_h(checkout: Path):
    """PlatformIO (`pio run`) names no CONFIG_FILE: camera_config.h finds config.h or stops."""
    def compile_config() -> subprocess.CompletedProcess:
        return subprocess.run(["g++", "-fsyntax-only", "-std=gnu++11", f"-I{checkout / 'include'}",
                               "-x", "c++", "-"], input='#include "camera_config.h"\n',
                              capture_output=True, text=True, timeout=60)
    refused = compile_config()
    assert refused.returncode != 0 and "include/config.h" in refused.stderr
    (checkout / "include" / "config.h").write_text(with_host("first.example.org"))
    assert compile_config().returncode == 0


def test_names_too_long_for_the_request_head_stop_the_build(tmp_path: Path):
    """A host, path and camera id that could not fit the 512-byte request head at the largest
    numbers (main.cpp's static_assert) stop the build, saying what to shorten; at the limit it
    builds."""
    header = tmp_path / "cfg.h"
    # The longest camera id (32) and the example's path (7): 512 - 441 leaves 32 for the host.
    for host_length, builds in [(32, True), (33, False)]:
        longest_id = f'#define CONFIG_CAMERA_ID "{"c" * 32}"'
        header.write_text(re.sub(r'#define CONFIG_CAMERA_ID "[^"]*"', longest_id,
                                 with_host("h" * host_length)))
        done = make(f"CONFIG={header}", f"BUILD={tmp_path / 'out'}", "-j2", check=False)
        assert (done.returncode == 0) is builds, done.stderr[-2000:]
        if not builds:
            assert "too long together for the request head" in done.stderr
