"""A second W5500 client written for real hardware: Adafruit's CircuitPython driver (PyPI
adafruit-circuitpython-wiznet5k, with its own DHCP and DNS clients) drives the W5500 model straight
from Python through an SPI adapter, in wall-clock time: DHCP lease, DNS query, a TCP request to
the real `chalice local`."""

from __future__ import annotations

import time

import pytest

from simboard.network import Network
from simboard.services import API_IP, BOARD_IP, Dhcp, Dns
from simboard.w5500 import W5500

wiznet5k = pytest.importorskip("adafruit_wiznet5k.adafruit_wiznet5k")
socketpool = pytest.importorskip("adafruit_wiznet5k.adafruit_wiznet5k_socketpool")

HOST = "frames.stopmotion.test"


class SpiBus:
    """What adafruit_bus_device's SPIDevice asks of a busio.SPI, byte by byte into the model."""

    def __init__(self, chip: W5500):
        self.chip = chip

    def try_lock(self) -> bool:
        return True

    def unlock(self) -> None:
        pass

    def configure(self, baudrate: int = 100000, polarity: int = 0, phase: int = 0, bits: int = 8):
        assert (polarity, phase, bits) == (0, 0, 8), "the W5500 speaks SPI mode 0"

    def write(self, buffer, start: int = 0, end: int | None = None) -> None:
        for byte in bytes(buffer[start:end]):
            self.chip.transfer(byte)

    def readinto(self, buffer, start: int = 0, end: int | None = None, write_value: int = 0):
        for i in range(start, len(buffer) if end is None else end):
            buffer[i] = self.chip.transfer(write_value)

    def write_readinto(self, out, into, out_start=0, out_end=None, in_start=0, in_end=None):
        for i, byte in enumerate(bytes(out[out_start:out_end])):
            into[in_start + i] = self.chip.transfer(byte)


class ChipSelect:
    """A digitalio.DigitalInOut on the W5500's select line; each edge also lets the network run."""

    def __init__(self, chip: W5500, network: Network):
        self.chip, self.network, self._value = chip, network, True

    def switch_to_output(self, value: bool = True, drive_mode=None) -> None:
        self.value = value

    @property
    def value(self) -> bool:
        return self._value

    @value.setter
    def value(self, level: bool) -> None:
        if level != self._value:
            self.chip.select(not level)
        self._value = level
        self.network.poll()


def test_dhcp_dns_and_a_tcp_request(local_stack):
    start = time.monotonic()
    dhcp = Dhcp()
    network = Network(lambda: time.monotonic() - start, tcp_ports={80: local_stack.api_port},
                      services={67: dhcp, 53: Dns(hosts={HOST: API_IP})}, lease=dhcp.leased)
    chip = network.chip
    iface = wiznet5k.WIZNET5K(SpiBus(chip), ChipSelect(chip, network),
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
