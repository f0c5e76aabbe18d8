"""A second W5500 client written for real hardware: Adafruit's CircuitPython driver (PyPI
adafruit-circuitpython-wiznet5k, with its own DHCP and DNS clients) drives the W5500 model straight
from Python through an SPI adapter, in wall-clock time: DHCP lease, DNS query, a TCP request to
the real `chalice local`."""

from __future__ import annotations

import time

import pytest

from simboard.network import Network
from simboard.services import API_IP, BOARD_IP, Dhcp, Dns
from tests.conformance.circuitpython_spi import ChipSelect, SpiBus

wiznet5k = pytest.importorskip("adafruit_wiznet5k.adafruit_wiznet5k")
socketpool = pytest.importorskip("adafruit_wiznet5k.adafruit_wiznet5k_socketpool")

HOST = "frames.stopmotion.test"


def test_dhcp_dns_and_a_tcp_request(local_stack):
    start = time.monotonic()
    dhcp = Dhcp()
    network = Network(lambda: time.monotonic() - start, tcp_ports={80: local_stack.api_port},
                      services={67: dhcp, 53: Dns(hosts={HOST: API_IP})}, lease=dhcp.leased)
    chip = network.chip
    bus = SpiBus(chip)
    iface = wiznet5k.WIZNET5K(bus, ChipSelect(bus, network.poll),
                              mac="02:53:4D:00:00:44")
    assert bytes(iface.ip_address) == BOARD_IP
    assert [kind for _, kind, _ in dhcp.log][:2] == ["DISCOVER", "REQUEST"]
    address = iface.get_host_by_name(HOST)
    assert bytes(address) == API_IP
    pool = socketpool.SocketPool(iface)
    sock = pool.socket()
    sock.settimeout(10)
    sock.connect((iface.pretty_ip(address), 80))
    sock.send(b"GET /health HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\nConnection: close\r\n\r\n")
    answer = b""
    while chunk := sock.recv(1024):
        answer += chunk
    sock.close()
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert chip.violations == [], chip.violations
