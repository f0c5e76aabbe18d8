"""The firmware's SHA-256, HMAC and request signer (firmware/lib/auth) built for the AVR and run
on the simulated ATmega328P (its inline-assembly paths exist only there), checked against Python.
The host build of the same library runs in the native unit tests (firmware/test/test_native/
test_auth.cpp, against auth_vectors.txt, which make_vectors.py writes from Python's results)."""

import hashlib
from pathlib import Path

from chalicelib.protocol import upload
from simboard import sketch
from tests.security import make_vectors

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware"
VECTORS = FIRMWARE / "test" / "test_native" / "auth_vectors.txt"


def test_vectors_file_is_what_the_script_writes():
    assert VECTORS.read_text() == "\n".join(make_vectors.lines()) + "\n"


def test_avr_build_signs_like_python():
    text = sketch.run_program([FIRMWARE / "test" / "avr" / "auth_cycles.cpp"],
                              [FIRMWARE / "lib" / "auth", FIRMWARE / "lib" / "pgm",
                               FIRMWARE / "lib" / "http"])
    results = dict(line.split(" ", 1) for line in text.splitlines() if " " in line)
    body = bytes((0x5A + i) & 0xFF for i in range(16384))
    digest = hashlib.sha256(body).hexdigest()
    assert results["digest"] == digest
    message = upload.string_to_sign("POST", "/frames", "garden-cam-01", 123456, 86400, 65000,
                                   digest)
    assert results["signature"] == upload.sign(bytes(range(1, 33)), message)
