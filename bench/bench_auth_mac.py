"""What signing a frame costs the camera: cycles of SHA-256 and HMAC on the ATmega328P (simavr).

Builds bench/auth_cycles.cpp with firmware/lib/auth for the UNO (avr-g++ -Os, 16 MHz), runs it in
simavr, and scales the measured cycles per byte to frame sizes, beside the time the same bytes take
to cross SPI at the physical ceiling (two SPI bytes of 1 us per JPEG byte).
    make bench BENCH=bench_auth_mac
"""

import re
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "firmware" / "lib" / "auth"
F_CPU = 16_000_000
SOURCES = ["sha256.cpp", "hmac_sha256.cpp", "request_signer.cpp"]


def run_on_avr() -> dict[str, str]:
    """The lines bench/auth_cycles.cpp prints in simavr, as {name: rest of the line}."""
    with tempfile.TemporaryDirectory() as tmp:
        elf = Path(tmp) / "auth_cycles.elf"
        subprocess.run(
            ["avr-g++", "-mmcu=atmega328p", f"-DF_CPU={F_CPU}UL", "-Os", f"-I{LIB}",
             f"-I{LIB.parent / 'pgm'}",
             str(ROOT / "bench" / "auth_cycles.cpp"), *(str(LIB / s) for s in SOURCES), "-o", str(elf)],
            check=True,
        )
        out = subprocess.run(
            ["simavr", "-m", "atmega328p", "-f", str(F_CPU), str(elf)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120,
        ).stdout
    text = re.sub(r"\x1b\[[0-9;]*m", "", out).replace(".\n", "\n")  # simavr colours, shows \n as "."
    return dict(line.split(" ", 1) for line in text.splitlines() if " " in line)


def main() -> None:
    results = run_on_avr()
    body_bytes, hash_cycles = map(int, results["sha256_stream"].split())
    sign_cycles = int(results["sign_request"].split()[1])
    per_byte = hash_cycles / body_bytes
    print(f"ATmega328P @ {F_CPU // 1_000_000} MHz, avr-g++ -Os, simavr cycle count")
    print(f"SHA-256 streamed byte by byte: {per_byte:.0f} cycles/byte ({per_byte / 16:.1f} us/byte)")
    print(f"HMAC-SHA256 signature (string to sign + two finishes): {sign_cycles} cycles "
          f"({sign_cycles / F_CPU * 1000:.1f} ms)")
    print()
    print(f"{'frame':>10} {'SPI ceiling ms':>15} {'hash ms':>9} {'sign ms':>8} {'MAC / SPI':>10}")
    for size in (30_000, 100_000, 300_000):
        spi_ms = size * 2 / 1000  # 2 SPI bytes of 1 us per JPEG byte
        hash_ms = size * per_byte / F_CPU * 1000
        sign_ms = sign_cycles / F_CPU * 1000
        print(f"{size // 1000:>8}KB {spi_ms:>15.0f} {hash_ms:>9.0f} {sign_ms:>8.1f} "
              f"{(hash_ms + sign_ms) / spi_ms:>9.1f}x")


if __name__ == "__main__":
    main()
