"""What signing a frame costs the camera on the ATmega328P, measured two ways in simavr.

1. Cycle counts: firmware/test/avr/auth_cycles.cpp with firmware/lib/auth (the firmware's flags,
   16 MHz), scaled to frame
   sizes beside the time the same bytes take to cross SPI at the physical ceiling (two SPI bytes of
   1 us per JPEG byte).
2. The real firmware on the simulated board (simboard): the ELF built with tests/hil/config.h
   capturing an 800x600 frame: simulated time from the capture trigger to the end of the scan pass,
   which hashes the JPEG, beside the hashing's share at the cycle count of 1.
    make bench BENCH=bench_auth_mac
"""

import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "firmware" / "lib" / "auth"
PROGRAM = ROOT / "firmware" / "test" / "avr" / "auth_cycles.cpp"
F_CPU = 16_000_000


def run_on_avr() -> dict[str, str]:
    """The lines firmware/test/avr/auth_cycles.cpp prints on the simulated AVR, {name: rest}."""
    from simboard import sketch

    text = sketch.run_program([PROGRAM], [LIB, LIB.parent / "pgm", LIB.parent / "http"])
    return dict(line.split(" ", 1) for line in text.splitlines() if " " in line)


def firmware_scan_s(config: Path, out: Path, jpeg: bytes) -> float:
    """Simulated seconds from the capture trigger to the end of the scan pass, which hashes."""
    from simboard import firmware
    from simboard.arducam import Camera
    from simboard.rig import rig
    from stopmotion.localstack import free_port

    elf = firmware.build(config, out)
    camera = Camera(jpeg, padding=8192)
    host = firmware.settings(config).host
    with rig(elf, firmware.static_ram_end(elf), camera, free_port(), host) as (board, _):

        def line_time(text: str) -> float | None:
            return next((t for t, line in board.log_lines if text in line), None)

        board.run(120, lambda: line_time("captured, counter"))
        return line_time("captured, counter") - camera.captures[0]


def firmware_table(per_byte: float, sign_cycles: int) -> None:
    from simboard.firmware import HIL_CONFIG as config
    from simboard.frames import photo_jpeg

    jpeg = photo_jpeg(800, 600, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        scan = firmware_scan_s(config, Path(tmp) / "build", jpeg)
    hashing = len(jpeg) * per_byte / F_CPU
    print(
        f"\nReal firmware (simboard), {len(jpeg)} byte 800x600 JPEG, simulated seconds:"
    )
    print(f"  capture trigger to the end of the scan pass (which hashes):  {scan:.3f} s")
    print(f"  of which SHA-256 at the cycle count above:                   {hashing:.3f} s "
          f"({hashing / scan:.0%})")
    print(f"  signature, at each upload attempt (its age changes):         "
          f"{sign_cycles / F_CPU:.3f} s")


def main() -> None:
    results = run_on_avr()
    body_bytes, hash_cycles = map(int, results["sha256_stream"].split())
    sign_cycles = int(results["sign_request"].split()[1])
    per_byte = hash_cycles / body_bytes
    print(f"ATmega328P @ {F_CPU // 1_000_000} MHz, avr-g++ -Os, simavr cycle count")
    print(
        f"SHA-256 streamed byte by byte: {per_byte:.0f} cycles/byte ({per_byte / 16:.1f} us/byte)"
    )
    print(
        f"HMAC-SHA256 signature (string to sign + two finishes): {sign_cycles} cycles "
        f"({sign_cycles / F_CPU * 1000:.1f} ms)"
    )
    print()
    print(f"{'frame':>10} {'SPI ceiling ms':>15} {'hash ms':>9} {'sign ms':>8} {'MAC / SPI':>10}")
    for size in (30_000, 100_000, 300_000):
        spi_ms = size * 2 / 1000  # 2 SPI bytes of 1 us per JPEG byte
        hash_ms = size * per_byte / F_CPU * 1000
        sign_ms = sign_cycles / F_CPU * 1000
        print(
            f"{size // 1000:>8}KB {spi_ms:>15.0f} {hash_ms:>9.0f} {sign_ms:>8.1f} "
            f"{(hash_ms + sign_ms) / spi_ms:>9.1f}x"
        )
    firmware_table(per_byte, sign_cycles)


if __name__ == "__main__":
    main()
