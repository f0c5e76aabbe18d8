"""The firmware's SHA-256, HMAC, request signer and EEPROM counter (firmware/lib/auth), built for
the host with g++ and checked against Python's hashlib/hmac on shared vectors, and for the AVR."""

import subprocess
from pathlib import Path

import pytest

from tests.security import make_vectors

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "firmware" / "lib" / "auth"
SCAN = ROOT / "firmware" / "lib" / "jpeg_scan"
INCLUDES = [f"-I{LIB}", f"-I{SCAN}", f"-I{ROOT / 'firmware' / 'lib' / 'pgm'}"]
VECTORS = Path(__file__).with_name("auth_vectors.txt")


@pytest.fixture(scope="module")
def auth_host(tmp_path_factory):
    exe = tmp_path_factory.mktemp("auth") / "auth_host"
    sources = sorted(str(p) for p in LIB.glob("*.cpp")) + [str(SCAN / "jpeg_scan.cpp")]
    subprocess.run(
        [
            "g++",
            "-std=c++17",
            "-O1",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-fsanitize=address,undefined",
            *INCLUDES,
            *sources,
            str(Path(__file__).with_name("auth_host.cpp")),
            "-o",
            str(exe),
        ],
        check=True,
    )
    return exe


def run(*args):
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def test_vectors_file_is_what_the_script_writes():
    assert VECTORS.read_text() == "\n".join(make_vectors.lines()) + "\n"


def test_cpp_matches_python_on_the_vectors(auth_host):
    result = run(auth_host, "vectors", VECTORS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok ")
    assert int(result.stdout.split()[1]) > 600  # every line was checked


def test_vectors_catch_a_wrong_answer(auth_host, tmp_path):
    lines = VECTORS.read_text().splitlines()
    broken = lines[1][:-1] + ("0" if lines[1][-1] != "0" else "1")
    (tmp_path / "v.txt").write_text("\n".join([lines[0], broken]) + "\n")
    result = run(auth_host, "vectors", tmp_path / "v.txt")
    assert result.returncode == 1 and "FAIL sha256" in result.stdout


def test_frame_counter_survives_reboots_and_torn_writes(auth_host):
    result = run(auth_host, "counter")
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_hash_covers_exactly_the_scanned_jpeg(auth_host):
    result = run(auth_host, "image")
    assert result.returncode == 0, result.stdout + result.stderr


def test_builds_for_the_atmega328p(tmp_path):
    for source in LIB.glob("*.cpp"):
        subprocess.run(
            [
                "avr-g++",
                "-mmcu=atmega328p",
                "-Os",
                "-Wall",
                "-Wextra",
                "-Werror",
                *INCLUDES,
                "-c",
                str(source),
                "-o",
                str(tmp_path / (source.stem + ".o")),
            ],
            check=True,
        )


def test_avr_build_signs_like_python():
    """The AVR code paths (inline assembly rotations) run in simavr and agree with Python."""
    import hashlib

    from bench.bench_auth_mac import run_on_avr
    from chalicelib import auth

    results = run_on_avr()
    body = bytes((0x5A + i) & 0xFF for i in range(16384))
    digest = hashlib.sha256(body).hexdigest()
    assert results["digest"] == digest
    message = auth.string_to_sign("POST", "/frames", "garden-cam-01", 123456, 65000, digest)
    assert results["signature"] == auth.sign(bytes(range(1, 33)), message)
