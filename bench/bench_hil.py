"""Hardware-in-the-loop figures: the real firmware ELF on the simulated board.

1. Runs the `hil` scenarios (pytest) and prints, per scenario, the simulator's wall time, the
   simulated time and the free SRAM at the worst moment (SRAM painted at reset, read back), and
   for the schedule scenarios the capture-time error (a stored frame's capture time against its
   scheduled time; goal within 5 s). Before them: the firmware's flash and static RAM against the
   budgets (`make size`).
2. Uploads an 800x600 frame at real SPI timing over a LAN-like link and over a 30 ms round trip,
   and prints throughput beside the physical ceiling (two SPI bytes of 1 us per JPEG byte), SPI
   bytes moved per JPEG byte, and the time from capture trigger to the stored frame.
3. The SD card queue: an outage keeps 800x600 frames on the card (the firmware logs how long each
   took from the FIFO to the card: goal at most 1 s), then the link comes back and the backlog
   drains, on both links, beside the upload of part 2.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.protocol import card
from simboard import firmware, report
from simboard.arducam import Camera
from simboard.frames import photo_jpeg
from simboard.network import LAN, WAN_30MS, Faults
from simboard.rig import rig, service_clock
from simboard.sdcard import SdCard
from stopmotion.camera import FileSecrets
from stopmotion.localstack import LocalStack

ROOT = Path(__file__).resolve().parent.parent
CONFIG = firmware.HIL_CONFIG
SETTINGS = firmware.settings(CONFIG)
CEILING_KBS = 1e6 / 2 / 1000  # two SPI bytes per JPEG byte at 1 us each
# The bench camera captures every minute on the service's clock, which follows simulated time from
# 10 s before a minute: its hello at boot is told to capture 10 s later (tests/hil/conftest.py).
SCHEDULE = "every 1m"
SERVICE_START = datetime(2026, 12, 1, 11, 59, 50, tzinfo=UTC)


def scenario_rows(out: Path) -> list[report.RunReport]:
    path = out / "scenarios.jsonl"
    env = {**os.environ, report.ENV: str(path)}
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-m",
        "hil",
        str(ROOT / "tests" / "hil"),
        "-p",
        "no:cacheprovider",
    ]
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    print(
        result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    )
    return report.read(path)


def upload(elf: Path, heap_start: int, stack: LocalStack, link, jpeg: bytes, eeprom) -> dict:
    camera = Camera(jpeg, padding=8192)
    started = time.monotonic()
    with rig(elf, heap_start, camera, stack.api_port, SETTINGS.host, link=link,
             eeprom=eeprom, on_connect=service_clock(stack.set_clock, SERVICE_START)) as (
        board,
        proxy,
    ):
        if not board.run(60, lambda: camera.captures):
            raise RuntimeError(f"no capture\n{board.log_text()}")
        spi_at_trigger = board.core.spi_bytes
        stored = lambda: any(r.status == 201 for r in proxy.requests)  # noqa: E731
        if not board.run(60, lambda: stored() and board.network.connections[-1].first_received):
            raise RuntimeError(f"no upload\n{board.log_text()}")
        conn = board.network.connections[-1]
        upload_s = conn.last_acked - conn.first_sent
        return {
            "upload_s": upload_s,
            "kbs": len(jpeg) / upload_s / 1000,
            "spi_per_byte": (board.core.spi_bytes - spi_at_trigger) / len(jpeg),
            "trigger_to_stored_s": conn.first_received - camera.captures[0],
            "wall_s": time.monotonic() - started,
            "free_sram": board.free_sram_low_water(),
        }


def drain(elf: Path, heap_start: int, stack: LocalStack, link, frames: list, eeprom) -> dict:
    """Keeps all but the last of frames on a card through an outage, then drains the backlog."""
    image = bytearray(8 * 2**20)
    image[: card.BLOCK] = card.label_block()
    faults = Faults(refuse_connections=10**9)
    camera = Camera(frames, padding=8192)
    with rig(elf, heap_start, camera, stack.api_port, SETTINGS.host, link=link, eeprom=eeprom,
             faults=faults, sd=SdCard(image),
             on_connect=service_clock(stack.set_clock, SERVICE_START)) as (board, proxy):
        board.run((len(frames) - 1) * SETTINGS.interval_s + 5)
        kept_ms = [int(m) for _, line in board.log_lines
                   for m in re.findall(r"^card: frame counter \d+ kept in (\d+) ms", line)]
        if len(kept_ms) != len(frames) - 1:
            raise RuntimeError(f"{len(kept_ms)} frames kept\n{board.log_text()}")
        faults.refuse_connections = faults.connections  # the link is back
        started = board.now()
        stored = lambda: sum(r.status == 201 for r in proxy.requests) == len(frames)  # noqa: E731
        if not board.run(600, stored):
            raise RuntimeError(f"the backlog did not drain\n{board.log_text()}")
        drain_s = board.now() - started
        return {"kept_ms": kept_ms, "drain_s": drain_s,
                "kbs": sum(map(len, frames)) / drain_s / 1000,
                "free_sram": board.free_sram_low_water()}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        elf = firmware.build(CONFIG, out / "build")
        heap_start = firmware.static_ram_end(elf)
        sizes = subprocess.run(  # the Makefile owns the budgets and how they are counted
            ["make", "-s", "-C", str(ROOT / "firmware"), "--no-print-directory",
             f"CONFIG={CONFIG}", f"BUILD={out / 'build'}", "size"],
            capture_output=True, text=True, check=True,
        )
        print(f"firmware ({CONFIG.relative_to(ROOT)}):\n{sizes.stdout.strip()}")
        rows = scenario_rows(out)
        scenario_row = "{:52} {:>7} {:>7} {:>14} {}".format
        print("\n" + scenario_row("scenario", "wall s", "sim s", "free SRAM min",
                                  "capture error s (goal <= 5)"))
        for r in rows:
            error = "" if r.capture_error_s is None else f"{r.capture_error_s:.2f}"
            print(
                scenario_row(
                    r.scenario, f"{r.wall_s:.1f}", f"{r.sim_s:.1f}", r.free_sram_min, error
                )
            )
        if rows:
            worst = min(r.free_sram_min for r in rows)
            verdict = "ok" if worst >= firmware.SRAM_FREE_MIN else "BELOW GOAL"
            print(
                scenario_row(
                    "worst free SRAM across scenarios (goal >= 512 B)", "", "", worst, verdict
                )
            )

        jpeg = photo_jpeg(800, 600)
        print(f"\nupload of an 800x600 frame ({len(jpeg)} bytes), real SPI timing (8 MHz)")
        upload_row = "{:18} {:>9} {:>6} {:>5} {:>8} {:>13} {:>18} {:>7} {}".format
        print(
            upload_row(
                "link",
                "upload s",
                "KB/s",
                "goal",
                "ceiling",
                "SPI B/JPEG B",
                "trigger->stored s",
                "wall s",
                "",
            )
        )
        with LocalStack(out / "stack", log_file=out / "stack.log") as stack:
            secrets = FileSecrets(stack.secrets_file)
            secrets.set_camera(SETTINGS.camera_id, SETTINGS.secret, False)
            secrets.set_schedule(SETTINGS.camera_id, SCHEDULE)
            eeprom = bytearray(b"\xff" * 1024)  # one board: its signed-request counter goes on
            for name, link, goal in (
                ("LAN (0.3 ms RTT)", LAN, 250),
                ("WAN (30 ms RTT)", WAN_30MS, 150),
            ):
                r = upload(elf, heap_start, stack, link, jpeg, eeprom)
                mark = "" if r["kbs"] >= goal else "BELOW GOAL"
                print(
                    upload_row(
                        name,
                        f"{r['upload_s']:.3f}",
                        f"{r['kbs']:.0f}",
                        goal,
                        f"{CEILING_KBS:.0f}",
                        f"{r['spi_per_byte']:.2f}",
                        f"{r['trigger_to_stored_s']:.2f}",
                        f"{r['wall_s']:.1f}",
                        mark,
                    )
                )
            frames = [photo_jpeg(800, 600, seed=20 + i) for i in range(5)]
            print(f"\nthe SD card queue: {len(frames) - 1} 800x600 frames kept through an outage "
                  f"({sum(map(len, frames[:-1])) // len(frames[:-1])} bytes on average), then the "
                  f"backlog of {len(frames)} uploaded")
            card_row = "{:18} {:>22} {:>9} {:>11} {:>6} {:>14}".format
            print(card_row("link", "FIFO->card ms (goal<=1000)", "drain s", "s / frame", "KB/s",
                           "free SRAM min"))
            for name, link in (("LAN (0.3 ms RTT)", LAN), ("WAN (30 ms RTT)", WAN_30MS)):
                r = drain(elf, heap_start, stack, link, frames, eeprom)
                print(card_row(name, f"{min(r['kept_ms'])}..{max(r['kept_ms'])}",
                               f"{r['drain_s']:.2f}", f"{r['drain_s'] / len(frames):.2f}",
                               f"{r['kbs']:.0f}", r["free_sram"]))


if __name__ == "__main__":
    main()
