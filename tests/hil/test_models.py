"""The peripheral models on their own, driven byte by byte as the firmware's SPI would drive them
(no simulator): if a scenario fails, these say whether the model or the firmware is at fault."""

from __future__ import annotations

import socket
import struct
import threading
import time

import dnslib
import pytest

from simboard import w5500 as w
from simboard.arducam import Camera
from simboard.core import SimTime
from simboard.network import Link, Network
from simboard.services import BOARD_IP, DNS_SERVER, Dhcp, Dns


def frame(chip, address: int, block: int, write: bool, data: bytes) -> bytes:
    chip.select(True)
    for byte in (address >> 8, address & 0xFF, block << 3 | (4 if write else 0)):
        chip.transfer(byte)
    out = bytes(chip.transfer(b) for b in data)
    chip.select(False)
    return out


def reg(chip, s: int, offset: int, n: int = 1) -> bytes:
    return frame(chip, offset, s * 4 + 1, False, bytes(n))


def chip_on(network) -> w.W5500:
    return network.chip


def test_common_registers_and_reset():
    chip = chip_on(Network(SimTime()))
    assert frame(chip, w.VERSIONR, 0, False, b"\0") == b"\x04"
    frame(chip, 0x09, 0, True, b"\x02\x00\x00\x00\x00\x01")
    assert frame(chip, 0x09, 0, False, bytes(6)) == b"\x02\x00\x00\x00\x00\x01"
    frame(chip, w.MR, 0, True, b"\x80")
    assert frame(chip, 0x09, 0, False, bytes(6)) == bytes(6)


def test_udp_dhcp_and_dns_through_the_buffers():
    clock = SimTime()
    dhcp, dns = Dhcp(), Dns(hosts={"frames.test": bytes([203, 0, 113, 10])})
    net = Network(clock, services={67: dhcp, 53: dns})
    chip = chip_on(net)
    frame(chip, w.Sn_MR, 5, True, bytes([w.MR_UDP]))
    frame(chip, w.Sn_PORT, 5, True, struct.pack(">H", 68))
    frame(chip, w.Sn_CR, 5, True, bytes([w.OPEN]))
    assert reg(chip, 1, w.Sn_SR) == bytes([w.UDP])
    discover = bytearray(300)
    discover[0:3], discover[4:8] = b"\x01\x01\x06", b"\xca\xfe\x00\x01"
    discover[236:244] = b"\x63\x82\x53\x63\x35\x01\x01\xff"
    frame(chip, w.Sn_DIPR, 5, True, b"\xff\xff\xff\xff" + struct.pack(">H", 67))
    sock = chip.sockets[1]  # pointers near the 16-bit wrap, as after 64 KB of traffic
    w.put16(sock.regs, w.Sn_TX_RD, 0xFF00)
    w.put16(sock.regs, w.Sn_TX_WR, 0xFF00)
    sock.acked = 0xFF00
    frame(chip, 0xFF00, 6, True, bytes(discover))
    frame(chip, w.Sn_TX_WR, 5, True, struct.pack(">H", (0xFF00 + 300) & 0xFFFF))
    frame(chip, w.Sn_TX_RD, 5, True, b"\0\0")  # read-only: ignored
    assert frame(chip, w.Sn_TX_RD, 5, False, b"\0\0") == b"\xff\x00"
    frame(chip, w.Sn_CR, 5, True, bytes([w.SEND]))
    clock.set(0.1)
    net.poll()
    assert reg(chip, 1, w.Sn_IR)[0] & (w.IR_SENDOK | w.IR_RECV) == w.IR_SENDOK | w.IR_RECV
    size = struct.unpack(">H", reg(chip, 1, w.Sn_RX_RSR, 2))[0]
    packet = frame(chip, 0, 7, False, bytes(size))
    assert (
        packet[:6] == bytes([192, 0, 2, 1, 0, 67])
        and struct.unpack(">H", packet[6:8])[0] == size - 8
    )
    assert packet[8] == 2 and packet[8 + 16 : 8 + 20] == BOARD_IP  # BOOTREPLY, yiaddr
    assert dhcp.log[0][1] == "DISCOVER"
    query = dnslib.DNSRecord.question("frames.test").pack()
    answer = dns.handle(query, 0.0, DNS_SERVER)[0][1]
    assert str(dnslib.DNSRecord.parse(answer).a.rdata) == "203.0.113.10"


def test_tcp_send_is_acknowledged_one_round_trip_later_and_the_answer_arrives():
    server = socket.create_server(("127.0.0.1", 0))
    got = bytearray()

    def serve():
        conn, _ = server.accept()
        while len(got) < 5000:
            got.extend(conn.recv(65536))
        conn.sendall(b"HTTP/1.1 201 Created\r\n\r\n")
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    clock = SimTime()
    net = Network(
        clock, link=Link(rtt=0.030, rate=1e6, window=65535), tcp_ports={80: server.getsockname()[1]}
    )
    chip = chip_on(net)
    for other in range(1, 8):
        frame(chip, w.Sn_TXBUF_SIZE, other * 4 + 1, True, b"\x00")
    frame(chip, w.Sn_TXBUF_SIZE, 1, True, b"\x08")
    frame(chip, w.Sn_MR, 1, True, bytes([w.MR_TCP]))
    frame(chip, w.Sn_CR, 1, True, bytes([w.OPEN]))
    frame(chip, w.Sn_DIPR, 1, True, bytes([203, 0, 113, 10, 0, 80]))
    frame(chip, w.Sn_CR, 1, True, bytes([w.CONNECT]))
    clock.set(0.031)
    net.poll()
    assert reg(chip, 0, w.Sn_SR) == bytes([w.ESTABLISHED])
    sock = chip.sockets[0]  # as if 0x1F00 bytes had been sent before: the copy wraps 8 KB
    w.put16(sock.regs, w.Sn_TX_RD, 0x1F00)
    w.put16(sock.regs, w.Sn_TX_WR, 0x1F00)
    sock.acked = 0x1F00
    frame(chip, 0x1F00, 2, True, bytes(range(250)) * 20)
    frame(chip, w.Sn_TX_WR, 1, True, struct.pack(">H", 0x1F00 + 5000))
    # Sn_TX_WR takes effect at SEND: until then it reads as before, and FSR ignores the bytes.
    assert struct.unpack(">H", reg(chip, 0, w.Sn_TX_FSR, 2))[0] == 8192
    assert reg(chip, 0, w.Sn_TX_WR, 2) == b"\x1f\x00"
    assert chip.stale_pointer_reads == [(0, w.Sn_TX_WR), (0, w.Sn_TX_WR + 1)]
    frame(chip, w.Sn_CR, 1, True, bytes([w.SEND]))
    assert struct.unpack(">H", reg(chip, 0, w.Sn_TX_FSR, 2))[0] == 8192 - 5000
    clock.set(0.031 + 0.005 + 0.029)  # 5 ms on the wire, less than one round trip
    net.poll()
    assert not reg(chip, 0, w.Sn_IR)[0] & w.IR_SENDOK
    clock.set(0.031 + 0.005 + 0.031)
    net.poll()
    assert reg(chip, 0, w.Sn_IR)[0] & w.IR_SENDOK
    assert struct.unpack(">H", reg(chip, 0, w.Sn_TX_FSR, 2))[0] == 8192
    for step in range(1, 200):  # the real server answers in wall time
        time.sleep(0.005)
        clock.set(0.1 + step * 0.01)
        net.poll()
        if reg(chip, 0, w.Sn_SR) == bytes([w.CLOSE_WAIT]):
            break
    assert bytes(got) == bytes(range(250)) * 20
    size = struct.unpack(">H", reg(chip, 0, w.Sn_RX_RSR, 2))[0]
    assert frame(chip, 0, 3, False, bytes(size)).startswith(b"HTTP/1.1 201")
    # Sn_RX_RD likewise takes effect at RECV: the bytes stay received until then.
    frame(chip, w.Sn_RX_RD, 1, True, struct.pack(">H", size))
    assert struct.unpack(">H", reg(chip, 0, w.Sn_RX_RSR, 2))[0] == size
    frame(chip, w.Sn_CR, 1, True, bytes([w.RECV]))
    assert struct.unpack(">H", reg(chip, 0, w.Sn_RX_RSR, 2))[0] == 0
    assert chip.violations == []
    server.close()


def test_reset_values_of_the_datasheet():
    chip = chip_on(Network(SimTime()))
    common = frame(chip, 0, 0, False, bytes(0x3A))
    assert common[0x19:0x1D] == b"\x07\xd0\x08\x28"  # RTR 200 ms, RCR 8, PTIMER
    assert common[0x26:0x28] == b"\xff\xff" and common[w.VERSIONR] == 0x04  # PMRU, VERSIONR
    sock = reg(chip, 0, 0, 0x30)
    assert sock[0x12:0x14] == b"\0\0" and sock[0x16] == 0x80  # Sn_MSSR, Sn_TTL
    assert sock[w.Sn_TX_FSR : w.Sn_TX_FSR + 2] == b"\x08\x00" and sock[0x2C] == 0xFF
    assert sock[0x2D:0x2F] == b"\x40\x00"  # Sn_FRAG


def test_tcp_timeout_doubles_to_the_cap_then_repeats():
    chip = chip_on(Network(SimTime()))
    assert chip.tcp_timeout() == pytest.approx(31.8)  # the datasheet's figure for the defaults
    frame(chip, 0x19, 0, True, struct.pack(">HB", 1000, 3))  # 100 ms, 3 retries
    assert chip.tcp_timeout() == pytest.approx(0.1 + 0.2 + 0.4 + 0.8)


def test_refused_connect_closes_at_once_unanswered_times_out():
    clock = SimTime()
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens: the connect is refused (RST)
    net = Network(clock, tcp_ports={80: port})
    chip = chip_on(net)
    frame(chip, w.Sn_MR, 1, True, bytes([w.MR_TCP]))
    frame(chip, w.Sn_CR, 1, True, bytes([w.OPEN]))
    frame(chip, w.Sn_DIPR, 1, True, bytes([203, 0, 113, 10, 0, 80]))
    frame(chip, w.Sn_CR, 1, True, bytes([w.CONNECT]))
    clock.set(0.001)
    net.poll()
    assert reg(chip, 0, w.Sn_SR) == bytes([w.CLOSED])
    assert not reg(chip, 0, w.Sn_IR)[0] & w.IR_TIMEOUT
    net.lease = lambda ip, now: False  # the lease ran out: nobody answers the SYN
    frame(chip, w.Sn_CR, 1, True, bytes([w.OPEN]))
    frame(chip, w.Sn_CR, 1, True, bytes([w.CONNECT]))
    clock.set(31.0)
    net.poll()
    assert reg(chip, 0, w.Sn_SR) == bytes([w.SYNSENT])
    clock.set(32.0)
    net.poll()
    assert reg(chip, 0, w.Sn_SR) == bytes([w.CLOSED]) and reg(chip, 0, w.Sn_IR)[0] & w.IR_TIMEOUT


class Module:
    """The ArduCAM model driven as a driver would: SPI transactions and SCCB register writes."""

    def __init__(self, jpeg: bytes, **behaviour):
        self.clock = SimTime()
        self.cam = Camera(jpeg, clock=self.clock, **behaviour)

    def spi(self, *data: int) -> list[int]:
        self.cam.select(True)
        out = [self.cam.transfer(b) for b in data]
        self.cam.select(False)
        return out

    def sensor_write(self, reg: int, value: int) -> None:
        self.cam.twi(1 << 8 | 0x60 << 16)  # START, address 0x30 write
        self.cam.twi(16 << 8 | 0x60 << 16 | reg << 24)
        self.cam.twi(16 << 8 | 0x60 << 16 | value << 24)
        self.cam.twi(2 << 8)  # STOP

    def sensor_read(self, reg: int) -> int:
        self.cam.twi(1 << 8 | 0x60 << 16)
        self.cam.twi(16 << 8 | 0x60 << 16 | reg << 24)
        self.cam.twi(1 << 8 | 0x61 << 16)
        return self.cam.twi(32 << 8 | 0x61 << 16) >> 24

    def jpeg_mode(self, width: int = 800, height: int = 600) -> None:
        """The registers the vendor's init leaves that the model reads (ov2640_regs.h)."""
        for reg, value in ((0xFF, 0), (0xDA, 0x10), (0x5A, width // 4 & 0xFF),
                           (0x5B, height // 4 & 0xFF),
                           (0x5C, (width // 4 >> 8) & 3 | (height // 4 >> 8 & 1) << 2),
                           (0xE0, 0)):
            self.sensor_write(reg, value)

    def capture(self) -> int:
        self.spi(0x84, 0x01)  # clear the done flag
        self.spi(0x84, 0x02)  # start
        assert self.spi(0x41, 0)[1] & 8 == 0
        self.clock.set(self.clock() + 1.0)
        assert self.spi(0x41, 0)[1] & 8
        return self.spi(0x42, 0)[1] | self.spi(0x43, 0)[1] << 8 | self.spi(0x44, 0)[1] << 16

    def burst(self, n: int) -> bytes:
        return bytes(self.spi(0x3C, *bytes(n))[1:])


JPEG_ = b"\xff\xd8" + bytes(range(100)) + b"\xff\xd9"


def test_sensor_identity_and_soft_reset():
    module = Module(JPEG_)
    module.sensor_write(0xFF, 0x01)
    assert (module.sensor_read(0x0A), module.sensor_read(0x0B)) == (0x26, 0x42)
    module.sensor_write(0x11, 0x01)
    module.sensor_write(0x12, 0x80)  # COM7 SRST: every register back to its default
    assert module.sensor_read(0x11) == 0 and module.sensor_read(0x0A) == 0x26


def test_no_jpeg_unless_the_sensor_is_set_up_for_one():
    module = Module(JPEG_, padding=10)
    length = module.capture()
    assert b"\xff\xd8" not in module.burst(length)  # what a sensor not in JPEG mode streams
    module.jpeg_mode(1280, 960)
    assert module.capture() == len(JPEG_) + 10
    assert module.burst(len(JPEG_)) == JPEG_
    module.jpeg_mode(1280, 1024)  # no table of the vendor's sets this output size
    assert b"\xff\xd8" not in module.burst(module.capture())


def test_read_pointer_reset_rewinds_and_erases_nothing():
    module = Module(JPEG_, padding=10)
    module.jpeg_mode()
    length = module.capture()  # a new capture is read from its start, no pointer reset needed
    assert module.burst(length)[: len(JPEG_)] == JPEG_
    module.spi(0x84, 0x20)  # ArduCAM.h: bit 5 resets the WRITE pointer: no rewind, no erase
    assert module.burst(4) == bytes(4)  # past the end of the frame
    module.spi(0x84, 0x10)  # bit 4 resets the READ pointer
    assert module.burst(5) + module.burst(length - 5) == module.cam.fifo[:length]
    assert (module.spi(0x42, 0)[1], module.spi(0x43, 0)[1]) == (length & 0xFF, length >> 8)


def test_the_other_application_notes_rewind_bit():
    module = Module(JPEG_, rewind_mask=0x20)
    module.jpeg_mode()
    module.burst(module.capture())
    module.spi(0x84, 0x10)
    assert module.burst(2) != b"\xff\xd8"
    module.spi(0x84, 0x20)
    assert module.burst(2) == b"\xff\xd8"


def test_dummy_byte_only_on_the_first_burst_after_a_rewind():
    module = Module(JPEG_, dummy_byte=True)
    module.jpeg_mode()
    module.capture()
    first, rest = module.burst(5), module.burst(20)
    assert first[0] == 0 and first[1:] + rest == JPEG_[:24]
    module.spi(0x84, 0x10)
    assert module.burst(3) == b"\0\xff\xd8"
