"""`python -m simboard run ELF ...`: any sketch on the simulated board (ATmega328P + W5500 shield +
ArduCAM Mini 2MP Plus, optionally a microSD card in the shield's slot), with a chosen frame,
camera behaviour, card, link, DHCP and DNS behaviour and API; prints the serial log as it comes.
The HIL scenarios and the conformance runs put boards on the same rig (simboard.rig).

TCP connections to port 80 of any address reach the API given (default: the running `make run`).
Exit status: 0 when --until matched (or no --until was given), 1 when it did not, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from simboard import firmware
from simboard.arducam import FIFO_RDPTR_RST, FIFO_WRPTR_RST, Camera
from simboard.frames import photo_jpeg
from simboard.network import LAN, WAN_30MS
from simboard.rig import rig
from simboard.sdcard import SLOW, SdCard
from simboard.services import API_IP, Dhcp, Dns

LINKS = {"lan": LAN, "wan30": WAN_30MS}
REWIND_BITS = {"0x10": FIFO_RDPTR_RST, "0x20": FIFO_WRPTR_RST}
DNS_FAILURES = ("servfail", "nxdomain", "silent")
SD_FAULTS = {"absent": {"present": False}, "slow": SLOW, "read-only": {"read_only": True},
             "write-error": {"bad_blocks": range(2**32)}}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simboard", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run an ELF on the simulated board, print its serial log")
    run.add_argument("elf", type=Path, help="the sketch's ELF (make firmware: firmware/build/...)")
    run.add_argument("--seconds", type=float, default=60,
                     help="simulated seconds to run at most (default 60)")
    run.add_argument("--until", metavar="REGEX",
                     help="stop at the first serial line that matches (exit 1 if none does)")
    camera = run.add_argument_group("the camera module")
    camera.add_argument("--frame", type=Path, action="append",
                        help="JPEG the sensor produces; repeat for one per capture, in turn "
                             "(default: a generated 800x600 photo)")
    camera.add_argument("--padding", type=int, default=4096,
                        help="bytes the FIFO holds after the JPEG (default 4096)")
    camera.add_argument("--dummy-byte", action="store_true",
                        help="an older module: the first burst after a rewind starts with junk")
    camera.add_argument("--rewind-bit", choices=REWIND_BITS, default="0x10",
                        help="FIFO control bit that rewinds the read pointer (vendor: 0x10)")
    camera.add_argument("--fast-bus-fault", choices=("fifo-bit-errors", "garbage"),
                        help="the module's bus fails above 4 MHz")
    camera.add_argument("--camera", choices=("ok", "absent", "silent-sensor", "never-done"),
                        default="ok", help="a camera fault from boot on")
    net = run.add_argument_group("the network")
    net.add_argument("--api", metavar="URL",
                     help="where TCP port 80 connections go: http://127.0.0.1:PORT (default: "
                          "the running make run)")
    net.add_argument("--host", action="append", default=[],
                     help="a name the DNS server resolves to the API (repeatable; default "
                          "frames.stopmotion.test)")
    net.add_argument("--link", choices=LINKS, default="lan",
                     help="lan: 0.3 ms round trip; wan30: 30 ms, 20 Mbit/s")
    net.add_argument("--dhcp-silent-until", type=float, default=0.0, metavar="S",
                     help="the DHCP server ignores everything before this simulated second")
    net.add_argument("--dhcp-lease", type=int, default=86400, metavar="S",
                     help="lease time in seconds (renewal at half of it)")
    net.add_argument("--dns-fail", action="append", default=[], choices=DNS_FAILURES,
                     help="answer the next DNS query so (repeatable, in order)")
    card = run.add_argument_group("the SD card in the shield's slot (D4)")
    card.add_argument("--sd", type=Path, metavar="IMAGE",
                      help="card image file, written as the sketch writes (SDHC: a multiple of "
                           "512 KB; default: the slot is empty)")
    card.add_argument("--sd-standard-capacity", action="store_true",
                      help="a standard-capacity card: byte addresses, CSD 1.0, 2 GB at most")
    card.add_argument("--sd-fault", choices=SD_FAULTS, action="append", default=[],
                      help="absent: no card; slow: long init, reads and busy; read-only; "
                           "write-error: every block write rejected (repeatable)")
    card.add_argument("--sd-bad-block", type=int, action="append", default=[], metavar="N",
                      help="writes to block N are rejected (repeatable)")
    card.add_argument("--sd-power-cut-after", type=int, metavar="BYTES",
                      help="the card loses power after this many data bytes of block writes: "
                           "that block is left undefined, the card needs a new init")
    run.add_argument("--eeprom", type=Path,
                     help="file that keeps the 1 KB EEPROM across runs (the signed counter)")
    return parser.parse_args(argv)


def api_port(url: str | None) -> int:
    if url is None:
        from stopmotion.localstack import running_stack

        state = running_stack()
        if state is None:
            raise SystemExit("simboard: no running make run found: start it, or give --api URL")
        url = state["api_url"]
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost") or parts.port is None:
        raise SystemExit(f"simboard: --api {url}: give http://127.0.0.1:PORT (loopback only)")
    return parts.port


def camera_for(args: argparse.Namespace) -> Camera:
    frames = [path.read_bytes() for path in args.frame] if args.frame else [photo_jpeg()]
    return Camera(
        frames, padding=args.padding, dummy_byte=args.dummy_byte,
        rewind_mask=REWIND_BITS[args.rewind_bit], fast_bus_fault=args.fast_bus_fault,
        present=args.camera != "absent",
        sensor="silent" if args.camera == "silent-sensor" else "ok",
        capture="never" if args.camera == "never-done" else "ok",
    )


def card_for(args: argparse.Namespace) -> SdCard | None:
    if args.sd is None:
        if args.sd_fault or args.sd_bad_block or args.sd_power_cut_after is not None:
            raise SystemExit("simboard: the --sd-... options need a card: give --sd IMAGE")
        return None
    if not args.sd.is_file():
        raise SystemExit(f"simboard: --sd {args.sd}: no such image file; make one, e.g. "
                         f"truncate -s 1M {args.sd}")
    options: dict = {"sdhc": not args.sd_standard_capacity, "bad_blocks": set(args.sd_bad_block),
                     "cut_power_after": args.sd_power_cut_after}
    for fault in args.sd_fault:
        options.update(SD_FAULTS[fault])
    try:
        return SdCard(args.sd, **options)
    except ValueError as error:
        raise SystemExit(f"simboard: --sd {args.sd}: {error}") from None


def run(args: argparse.Namespace) -> int:
    port = api_port(args.api)
    card = card_for(args)
    eeprom = None
    if args.eeprom:
        eeprom = bytearray(args.eeprom.read_bytes() if args.eeprom.exists() else b"\xff" * 1024)
    hosts = args.host or ["frames.stopmotion.test"]
    dns = Dns(hosts={name: API_IP for name in hosts}, failures=list(args.dns_fail))
    dhcp = Dhcp(silent_until=args.dhcp_silent_until, lease=args.dhcp_lease)
    regex = re.compile(args.until) if args.until else None
    matched = False
    started = time.monotonic()
    with rig(args.elf, firmware.static_ram_end(args.elf), camera_for(args), port, hosts[0],
             link=LINKS[args.link], dhcp=dhcp, dns=dns, eeprom=eeprom, sd=card) as (board, proxy):
        printed = 0

        def new_lines() -> bool:
            nonlocal printed, matched
            for when, line in board.log_lines[printed:]:
                print(f"{when:10.3f} {line}", flush=True)
                printed += 1
                if regex and regex.search(line):
                    matched = True
            return matched

        board.run(args.seconds, new_lines)
        new_lines()
        wall = time.monotonic() - started
        print(f"simboard: {board.now():.1f} s simulated in {wall:.1f} s; free SRAM at the worst "
              f"moment {board.free_sram_low_water()} B; HTTP answers "
              f"{[r.status for r in proxy.requests]}; W5500 misuse {board.chip.violations}",
              file=sys.stderr)
        if card is not None:
            print(f"simboard: SD card: {card.blocks_written} blocks written, {card.blocks_read} "
                  f"read, {card.power_cycles} power cuts; misuse {card.violations}",
                  file=sys.stderr)
    if args.eeprom:
        args.eeprom.write_bytes(eeprom)
    return 0 if regex is None or matched else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
