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
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.protocol import card
from chalicelib.protocol import upload as upload_protocol
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
SERVICE_RUNS = 10  # posts of the frame straight to the service, for its median
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
    """One upload, split at the wire: (0) capture trigger to the request's first byte sent (scan
    pass, signing, DNS, connect); (a) sending: first byte sent to the last one acknowledged, the
    part the firmware controls and the throughput figure; (b) waiting: from there to the answer's
    first byte, the service's time (chalice local and S3 on this machine) plus the link, while the
    firmware polls the W5500; (c) reading the answer up to the firmware's FIN. Simulated seconds
    and SPI bytes for each; the service's own time as the proxy saw it (wall clock, from the body's
    last byte in to the answer passed on)."""
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
        conns = board.network.connections
        opened_before = len(conns)
        spi_at: dict = {}  # (connection, first sent, bytes acked, answered, FIN) -> SPI bytes

        def watch() -> bool:
            # Steps end at every network event, so a state is seen as it begins (the FIN, which
            # the firmware's command starts, within one step of 1 ms).
            for i in range(opened_before, len(conns)):
                c = conns[i]
                key = (i, c.first_sent is not None, c.acked, c.first_received is not None,
                       c.fin_sent is not None)
                spi_at.setdefault(key, board.core.spi_bytes)
            stored = any(r.status == 201 for r in proxy.requests)
            return stored and len(conns) > opened_before and conns[-1].fin_sent is not None

        if not board.run(60, watch):
            raise RuntimeError(f"no upload\n{board.log_text()}")
        i, conn = len(conns) - 1, conns[-1]
        sent = conn.acked  # nothing is sent after the request: all of it was acknowledged
        try:
            spi = [spi_at_trigger, spi_at[(i, True, 0, False, False)],
                   spi_at[(i, True, sent, False, False)], spi_at[(i, True, sent, True, False)],
                   spi_at[(i, True, sent, True, True)]]
        except KeyError as missing:
            raise RuntimeError(f"upload phases not seen in order ({missing})") from None
        request = next(r for r in proxy.requests if r.status == 201)
        times = [camera.captures[0], conn.first_sent, conn.last_acked, conn.first_received,
                 conn.fin_sent]
        phase_s = [b - a for a, b in zip(times, times[1:], strict=False)]
        phase_spi = [(b - a) / len(jpeg) for a, b in zip(spi, spi[1:], strict=False)]
        upload_s = phase_s[1]
        return {
            "upload_s": upload_s,
            "kbs": len(jpeg) / upload_s / 1000,
            "phase_s": phase_s,
            "phase_spi": phase_spi,
            "service_s": request.answered_at - request.body_done_at,
            "spi_per_byte": (spi[3] - spi[0]) / len(jpeg),
            "trigger_to_stored_s": conn.first_received - camera.captures[0],
            "wall_s": time.monotonic() - started,
            "free_sram": board.free_sram_low_water(),
        }


def service_alone(stack: LocalStack, jpeg: bytes, runs: int) -> dict:
    """The same frame posted straight to chalice local (no simulator, no proxy) as the firmware
    posts it, signed as a camera of its own, `runs` times: median seconds from the request's last
    byte sent to the answer's first byte, and to its last."""
    camera, secret = "bench-service", bytes(range(32))
    secrets = FileSecrets(stack.secrets_file)
    secrets.set_camera(camera, secret, False)
    secrets.set_schedule(camera, SCHEDULE)
    first, whole = [], []
    for counter in range(1, runs + 1):
        authorization = upload_protocol.authorization(secret, camera, counter, jpeg)
        head = upload_protocol.request_head(
            f"127.0.0.1:{stack.api_port}", upload_protocol.ROUTE, len(jpeg), authorization,
            upload_protocol.USER_AGENT_PREFIX + "bench")
        with socket.create_connection(("127.0.0.1", stack.api_port), timeout=30) as sock:
            sock.sendall(head + jpeg)
            sent = time.perf_counter()
            answer = sock.recv(65536)
            first.append(time.perf_counter() - sent)
            while chunk := sock.recv(65536):
                answer += chunk
            whole.append(time.perf_counter() - sent)
        if not answer.startswith(b"HTTP/1.1 201"):
            raise RuntimeError(f"the service did not store the frame: {answer[:200]!r}")
    return {"first_s": statistics.median(first), "whole_s": statistics.median(whole),
            "min_s": min(first), "max_s": max(first)}


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
        print(f"\nupload of an 800x600 frame ({len(jpeg)} bytes), real SPI timing (8 MHz): "
              "camera sending (first byte sent to last acknowledged: the throughput) beside the "
              "service's answer (waiting for its first byte, simulated; the service's own time as "
              "the proxy saw it, wall clock)")
        upload_row = "{:18} {:>9} {:>6} {:>5} {:>8} {:>9} {:>10} {:>13} {:>18} {:>7} {}".format
        print(upload_row("link", "sending s", "KB/s", "goal", "ceiling", "answer s", "service s",
                         "SPI B/JPEG B", "trigger->stored s", "wall s", ""))
        phase_row = "{:18} {:>15} {:>9} {:>9} {:>9}   {:>15} {:>9} {:>9} {:>9}".format
        phase_names = ("trigger->sent", "sending", "answer", "reading")
        with LocalStack(out / "stack", log_file=out / "stack.log") as stack:
            secrets = FileSecrets(stack.secrets_file)
            secrets.set_camera(SETTINGS.camera_id, SETTINGS.secret, False)
            secrets.set_schedule(SETTINGS.camera_id, SCHEDULE)
            eeprom = bytearray(b"\xff" * 1024)  # one board: its signed-request counter goes on
            phases = []
            for name, link, goal in (
                ("LAN (0.3 ms RTT)", LAN, 250),
                ("WAN (30 ms RTT)", WAN_30MS, 150),
            ):
                r = upload(elf, heap_start, stack, link, jpeg, eeprom)
                phases.append((name, r))
                mark = "" if r["kbs"] >= goal else "BELOW GOAL"
                print(
                    upload_row(
                        name,
                        f"{r['upload_s']:.3f}",
                        f"{r['kbs']:.0f}",
                        goal,
                        f"{CEILING_KBS:.0f}",
                        f"{r['phase_s'][2]:.3f}",
                        f"{r['service_s']:.3f}",
                        f"{r['spi_per_byte']:.2f}",
                        f"{r['trigger_to_stored_s']:.2f}",
                        f"{r['wall_s']:.1f}",
                        mark,
                    )
                )
            print("\nthe same uploads by phase: simulated seconds, and SPI bytes per JPEG byte "
                  "(trigger->sent: scan pass, signing, DNS, connect; answer: polling the W5500)")
            print(phase_row("link", *(f"{p} s" for p in phase_names),
                            *(f"{p} SPI" for p in phase_names)))
            for name, r in phases:
                print(phase_row(name, *(f"{t:.3f}" for t in r["phase_s"]),
                                *(f"{b:.2f}" for b in r["phase_spi"])))
            alone = service_alone(stack, jpeg, SERVICE_RUNS)
            print(f"\nthe service alone (chalice local + S3 on this machine), the same frame "
                  f"posted {SERVICE_RUNS} times straight to it: {alone['first_s']:.3f} s median "
                  f"from the request's last byte to the answer's first ({alone['min_s']:.3f}.."
                  f"{alone['max_s']:.3f}), {alone['whole_s']:.3f} s to its last")
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
