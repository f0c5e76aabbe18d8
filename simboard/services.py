"""The LAN's DHCP server (RFC 2131) and DNS server (RFC 1035, answered with dnslib), in simulated
time, with the misbehaviour a scenario asks for. Addresses are from the documentation ranges
(RFC 5737); nothing here touches a real network.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field

import dnslib

ROUTER = bytes([192, 0, 2, 1])
DNS_SERVER = bytes([192, 0, 2, 53])
BOARD_IP = bytes([192, 0, 2, 50])
API_IP = bytes([203, 0, 113, 10])
ECHO_IP = bytes([192, 0, 2, 7])
MAGIC = b"\x63\x82\x53\x63"
DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE = 1, 2, 3, 4, 5, 6, 7
NAMES = {1: "DISCOVER", 3: "REQUEST", 4: "DECLINE", 7: "RELEASE", 8: "INFORM"}


def dhcp_options(data: bytes) -> dict[int, bytes]:
    options, i = {}, 240
    while i < len(data) and data[i] != 255:
        if data[i] == 0:
            i += 1
            continue
        length = data[i + 1]
        options[data[i]] = data[i + 2 : i + 2 + length]
        i += 2 + length
    return options


@dataclass
class Dhcp:
    """silent_until: ignore everything before this simulated time; delay: answer after this long;
    nak: NAK this many REQUESTs first; lease: lease time in seconds (T1 = lease/2)."""

    silent_until: float = 0.0
    delay: float = 0.002
    nak: int = 0
    lease: int = 86400
    address: bytes = ROUTER
    log: list = field(default_factory=list)  # (time, message name, requested/ci address)
    expires: float | None = None

    def handle(self, packet: bytes, now: float, dest: bytes):
        if len(packet) < 240 or packet[0] != 1 or packet[236:240] != MAGIC:
            return []
        options = dhcp_options(packet)
        kind = options.get(53, b"\0")[0]
        wanted = options.get(50) or packet[12:16]
        self.log.append((now, NAMES.get(kind, str(kind)), ".".join(map(str, wanted))))
        if now < self.silent_until:
            return []
        if kind == DISCOVER:
            return [(self.delay, self._reply(packet, OFFER))]
        if kind == REQUEST:
            if self.nak > 0:
                self.nak -= 1
                return [(self.delay, self._reply(packet, NAK))]
            if wanted != BOARD_IP:
                return [(self.delay, self._reply(packet, NAK))]
            self.expires = now + self.delay + self.lease
            return [(self.delay, self._reply(packet, ACK))]
        return []

    def _reply(self, request: bytes, kind: int) -> bytes:
        head = bytearray(request[:236])
        head[0] = 2  # BOOTREPLY
        head[16:20] = BOARD_IP if kind != NAK else bytes(4)  # yiaddr
        head[20:24] = bytes(4)
        options = bytes([53, 1, kind, 54, 4]) + self.address
        if kind != NAK:
            options += bytes([51, 4]) + struct.pack(">I", self.lease)
            options += bytes([58, 4]) + struct.pack(">I", self.lease // 2)
            options += bytes([59, 4]) + struct.pack(">I", self.lease * 7 // 8)
            options += bytes([1, 4, 255, 255, 255, 0, 3, 4]) + ROUTER + bytes([6, 4]) + DNS_SERVER
        return bytes(head) + MAGIC + options + b"\xff"

    def leased(self, ip: bytes, now: float) -> bool:
        return ip == BOARD_IP and self.expires is not None and now < self.expires


@dataclass
class Dns:
    """hosts: name -> IPv4 bytes; failures: what to do with the first queries, in order
    ("servfail", "nxdomain" or "silent")."""

    hosts: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)
    delay: float = 0.005
    address: bytes = DNS_SERVER
    log: list = field(default_factory=list)  # (time, name, outcome)

    def handle(self, packet: bytes, now: float, dest: bytes):
        query = dnslib.DNSRecord.parse(packet)
        name = str(query.q.qname).rstrip(".")
        outcome = self.failures.pop(0) if self.failures else "answer"
        if outcome == "answer" and name not in self.hosts:
            outcome = "nxdomain"
        self.log.append((now, name, outcome))
        if outcome == "silent":
            return []
        reply = query.reply()
        if outcome == "answer":
            address = str(ipaddress.IPv4Address(self.hosts[name]))
            reply.add_answer(
                dnslib.RR(query.q.qname, dnslib.QTYPE.A, rdata=dnslib.A(address), ttl=300)
            )
        else:
            reply.header.rcode = (
                dnslib.RCODE.SERVFAIL if outcome == "servfail" else dnslib.RCODE.NXDOMAIN
            )
        return [(self.delay, reply.pack())]


@dataclass
class Echo:
    """The UDP echo service (RFC 862): every datagram comes back unchanged from `address`."""

    address: bytes = ECHO_IP
    delay: float = 0.001
    log: list = field(default_factory=list)  # (time, datagram)

    def handle(self, packet: bytes, now: float, dest: bytes):
        self.log.append((now, packet))
        return [(self.delay, packet)]
