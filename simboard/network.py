"""The wire behind the simulated W5500, in simulated time.

TCP connections are bridged to real sockets on 127.0.0.1 (any destination address; the port is
looked up in `tcp_ports`, default: the same port). The link adds a round-trip time, a bit rate
and a cap on unacknowledged bytes, so upload speed can be measured as over a LAN or a WAN.
UDP goes to the harness's services (DHCP on port 67, DNS on port 53). Packets from an address
the DHCP server has not leased (or whose lease ran out) are dropped, as a router would.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import select
import socket
import struct
from dataclasses import dataclass, field

from simboard.w5500 import CLOSED, W5500

MSS = 1460


@dataclass
class Link:
    """Round trip in seconds, bit rate in bytes per second, most unacknowledged bytes in flight."""

    rtt: float = 0.0003
    rate: float = 12_500_000
    window: int = 65535


LAN = Link()
WAN_30MS = Link(rtt=0.030, rate=2_500_000, window=65535)


@dataclass
class Faults:
    """Failures to inject: reset connection number `reset_connection` (1-based) after
    `reset_after` bytes sent on it; refuse the first `refuse_connections` connects."""

    reset_connection: int = 0
    reset_after: int = 0
    refuse_connections: int = 0
    connections: int = field(default=0, init=False)


class Network:
    """The shield's W5500 (`chip`) and everything behind it. `clock` is a SimTime (or any callable
    giving seconds); `lease(ip, now)` says whether an address may send (the DHCP service's
    `leased`; None: always); `on_connect(now)` runs at each TCP connection the firmware opens,
    before it reaches the peer (a test sets the service's clock to simulated time there)."""

    def __init__(
        self,
        clock,
        link: Link = LAN,
        tcp_ports: dict | None = None,
        services: dict | None = None,
        faults: Faults | None = None,
        lease=None,
        on_connect=None,
    ):
        self.clock, self.link = clock, link
        self.tcp_ports = tcp_ports or {}
        self.services = services or {}  # UDP port -> service with handle(packet, now) -> replies
        self.faults = faults or Faults()
        self.lease = lease
        self.on_connect = on_connect
        self.chip = W5500(self)
        self._events: list = []
        self._seq = itertools.count()
        self._udp: dict[int, object] = {}
        self.tcp: list[TcpLink] = []  # open connections
        self.connections: list[TcpLink] = []  # every connection, for reports
        self.awaiting_peer = False

    def at(self, when: float, action) -> None:
        heapq.heappush(self._events, (when, next(self._seq), action))
        wake = getattr(self.clock, "wake", None)  # a board stops its core early for it
        if wake is not None:
            wake(when)

    def next_event(self) -> float | None:
        return self._events[0][0] if self._events else None

    def routable(self) -> bool:
        return self.lease is None or self.lease(self.chip.ip, self.clock())

    def poll(self) -> None:
        """Run due events and read what the real sockets have for us."""
        now = self.clock()
        while self._events and self._events[0][0] <= now:
            heapq.heappop(self._events)[2]()
        self.tcp = [t for t in self.tcp if t.sock is not None]
        self.awaiting_peer = any(t.awaiting() for t in self.tcp)
        reading = [t for t in self.tcp if not t.reading_done]
        if reading:
            readable, _, _ = select.select([t.sock for t in reading], [], [], 0)
            for t in reading:
                if t.sock in readable:
                    t.readable()
        for t in self.tcp:
            t.pump()

    def sockets(self) -> list:
        """Real sockets still expecting data, for the board to wait on."""
        return [t.sock for t in self.tcp if t.sock is not None and not t.reading_done]

    # --- UDP ----------------------------------------------------------------------------
    def udp_open(self, sock, port: int):
        link = UdpLink(self, sock, port)
        self._udp[port] = link
        return link

    def udp_deliver(self, port: int, src_ip: bytes, src_port: int, payload: bytes) -> None:
        link = self._udp.get(port)
        if link and link.sock.link is link:
            header = src_ip + struct.pack(">HH", src_port, len(payload))
            if link.sock.rx_free() >= len(header) + len(payload):
                link.sock.deliver(header + payload)

    # --- TCP -------------------------------------------------------------------------------
    def tcp_connect(self, sock, ip: bytes, port: int):
        if self.on_connect is not None:
            self.on_connect(self.clock())
        link = TcpLink(self, sock, ip, port)
        self.tcp.append(link)
        self.connections.append(link)
        return link


class UdpLink:
    def __init__(self, net: Network, sock, port: int):
        self.net, self.sock, self.port = net, sock, port

    def send(self, data: bytes, dest) -> None:
        ip, port = dest
        now = self.net.clock()
        self.net.at(now + len(data) / self.net.link.rate, lambda: self.sock.acknowledged(len(data)))
        service = self.net.services.get(port)
        if service is None or (port != 67 and not self.net.routable()):
            return
        for delay, payload in service.handle(data, now, ip):
            src = service.address
            self.net.at(
                now + self.net.link.rtt + delay,
                lambda p=payload, s=src: self.net.udp_deliver(self.port, s, port, p),
            )

    def pump(self) -> None:
        pass

    def close(self) -> None:
        pass


class TcpLink:
    """One TCP connection: the chip's socket on one side, a real loopback socket on the other."""

    def __init__(self, net: Network, chip_sock, ip: bytes, port: int):
        self.net, self.chip_sock = net, chip_sock
        self.number = net.faults.connections = net.faults.connections + 1
        self.sent = self.read = self.acked = 0
        # simulated times for the bench: first byte sent, last byte acknowledged, first byte back,
        # the firmware's FIN
        self.first_sent = self.last_acked = self.first_received = self.fin_sent = None
        self.sock: socket.socket | None = None
        self._inbox = bytearray()  # bytes read from the real socket, not yet in RX memory
        self._eof = self.reading_done = False
        self._in_flight: list[tuple[float, int]] = []
        self._link_free = 0.0
        now, link = net.clock(), net.link
        if not net.routable():  # nobody answers the SYN: the chip gives up after its retries
            net.at(now + net.chip.tcp_timeout(), chip_sock.timed_out)
            return
        refused = self.number <= net.faults.refuse_connections
        if not refused:
            try:
                self.sock = socket.create_connection(
                    ("127.0.0.1", net.tcp_ports.get(port, port)), 2
                )
                self.sock.setblocking(False)
            except OSError:
                refused = True
        # An RST comes back one round trip later; a SYN/ACK likewise.
        net.at(now + link.rtt, chip_sock.refused if refused else chip_sock.established)

    def awaiting(self) -> bool:
        """True while a request went out and the real peer has not answered yet."""
        return self.sent > 0 and not self.read and not self.reading_done

    def send(self, data: bytes, dest) -> None:
        link, now = self.net.link, self.net.clock()
        t = max(now, self._link_free)
        for start in range(0, len(data), MSS):
            piece = data[start : start + MSS]
            self._in_flight = [(ack, n) for ack, n in self._in_flight if ack > t]
            while self._in_flight and sum(n for _, n in self._in_flight) + len(piece) > link.window:
                t = self._in_flight.pop(0)[0]
            depart = t
            t += len(piece) / link.rate
            self._in_flight.append((t + link.rtt, len(piece)))
            self.net.at(depart, functools.partial(self._transmit, piece))
            self.net.at(t + link.rtt, functools.partial(self._acked, len(piece)))
        self._link_free = t

    def _transmit(self, piece: bytes) -> None:
        if self.sock is None:
            return
        faults = self.net.faults
        if self.number == faults.reset_connection and self.sent + len(piece) > faults.reset_after:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close()
            self.chip_sock.peer_reset()
            return
        if self.first_sent is None:
            self.first_sent = self.net.clock()
        self.sock.setblocking(True)
        self.sock.sendall(piece)
        self.sock.setblocking(False)
        self.sent += len(piece)

    def _acked(self, count: int) -> None:
        if self.sock is not None and self.chip_sock.link is self:
            self.last_acked = self.net.clock()
            self.acked += count
            self.chip_sock.acknowledged(count)

    def readable(self) -> None:
        try:
            data = self.sock.recv(65536)
        except ConnectionError:
            data = b""
        self.read += len(data)
        if data:
            arrive = self.net.clock() + self.net.link.rtt / 2
            self.net.at(arrive, lambda d=data: self._inbox.extend(d))
        else:
            self.reading_done = True
            self.net.at(self.net.clock() + self.net.link.rtt / 2, self._mark_eof)

    def _mark_eof(self) -> None:
        self._eof = True

    def pump(self) -> None:
        """Move what fits from the inbox into the chip's RX memory; report the peer's FIN."""
        if self.chip_sock.link is not self:
            return
        room = self.chip_sock.rx_free()
        if self._inbox and room > 0:
            chunk = bytes(self._inbox[:room])
            del self._inbox[:room]
            if self.first_received is None:
                self.first_received = self.net.clock()
            self.chip_sock.deliver(chunk)
        if self._eof and not self._inbox:
            self._eof = False
            self.chip_sock.peer_closed()
            if self.chip_sock.state() == CLOSED:  # closed after our own FIN: done
                self.close()

    def disconnect(self, peer_gone: bool) -> None:
        """Our FIN. If the peer's FIN came already, the socket closes one round trip later."""
        if self.fin_sent is None:
            self.fin_sent = self.net.clock()
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        if peer_gone:
            self.net.at(self.net.clock() + self.net.link.rtt, self._closed_after_fin)

    def _closed_after_fin(self) -> None:
        if self.chip_sock.link is self:
            self.chip_sock.closed_after_fin()
        self.close()

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
