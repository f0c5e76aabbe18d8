"""One scenario's bench: the board, its LAN (DHCP, DNS, link), and a fault proxy in front of the
ingest API. Everything the firmware reaches over TCP lands on the proxy's 127.0.0.1 port."""

from __future__ import annotations

import contextlib
import time
from datetime import datetime
from pathlib import Path

from simboard.arducam import Camera
from simboard.board import Board
from simboard.network import LAN, Faults, Link, Network
from simboard.proxy import FaultProxy
from simboard.sdcard import SdCard
from simboard.services import API_IP, Dhcp, Dns


def service_clock(set_clock, start: datetime):
    """An on_connect for rig(): at each TCP connection the firmware opens, set_clock(offset)
    (LocalStack.set_clock: seconds ahead of this machine) so that the service's now = start +
    the simulated seconds. The simulated board runs faster or slower than the wall clock, so a
    service on the wall clock would not keep the board's time."""

    def at_connect(simulated_s: float) -> None:
        set_clock(start.timestamp() + simulated_s - time.time())

    return at_connect


@contextlib.contextmanager
def rig(
    elf: Path,
    heap_start: int,
    camera: Camera,
    api_port: int,
    host: str,
    http_port: int = 80,
    link: Link = LAN,
    dhcp: Dhcp | None = None,
    dns: Dns | None = None,
    faults: Faults | None = None,
    canned: dict | None = None,
    rewrite=None,
    eeprom: bytearray | None = None,
    services: dict | None = None,
    sd: SdCard | None = None,
    on_connect=None,
):
    """Yields (board, proxy). `host` resolves to a documentation address; TCP port `http_port`
    there is bridged to the proxy, which forwards to `api_port` on 127.0.0.1. `eeprom` (1 KB) is
    loaded into the board and updated from it afterwards, like the chip that keeps it. `services`
    adds UDP services by port (an Echo on 7, say) beside DHCP and DNS; `rewrite` (bytes -> bytes)
    alters the service's answers on their way to the board (FaultProxy). `sd` is the card in the
    shield's slot (None: the slot is empty). `on_connect(simulated seconds)` runs at each TCP
    connection the firmware opens, before the proxy sees it (tests set the service's clock)."""
    dhcp = dhcp or Dhcp()
    dns = dns or Dns()
    dns.hosts.setdefault(host, API_IP)
    with FaultProxy(api_port, canned=canned or {}, rewrite=rewrite or bytes) as proxy:
        network = Network(
            clock=camera.clock,  # one time for the board's models
            link=link,
            tcp_ports={http_port: proxy.port},
            services={67: dhcp, 53: dns, **(services or {})},
            faults=faults or Faults(),
            lease=dhcp.leased,
            on_connect=on_connect,
        )
        board = Board(elf, camera, network, heap_start=heap_start, eeprom=eeprom,
                      sd=sd)
        try:
            yield board, proxy
        finally:
            if eeprom is not None:
                eeprom[:] = board.core.eeprom
            for link_ in network.tcp:
                link_.close()
