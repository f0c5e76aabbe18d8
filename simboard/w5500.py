"""WIZnet W5500 model: SPI frames, common and socket registers, socket commands and states, TX/RX
buffer memory with 16-bit pointer arithmetic.

Each rule names its source: "DS" is the W5500 datasheet v1.0.9 (section 5, register descriptions),
"facts" is ../shared/docs/facts.md, "Arduino" the Arduino Ethernet library 2.0.2 that runs on real
shields (../shared/oracles/arduino-ethernet), checked against this model by tests/conformance.

Traffic leaves through a `Network` (simboard.network); the model only keeps chip state.
Misuse the real chip would punish (SEND while a SEND is pending, buffer sizes over 16 KB...) is
recorded in `violations` so a test can fail on it; commands a socket's state does not take, which
the chip ignores, in `ignored_commands`. Reads of Sn_TX_WR or Sn_RX_RD written since the
last SEND or RECV are legal (they return the value as of that command) but a driver must not rely
on them being the new value: they are recorded in `stale_pointer_reads`.
"""

from __future__ import annotations

# Common register addresses
MR, SIPR, PHYCFGR, VERSIONR = 0x00, 0x0F, 0x2E, 0x39
# Socket register offsets
Sn_MR, Sn_CR, Sn_IR, Sn_SR, Sn_PORT, Sn_DIPR, Sn_DPORT = 0x00, 0x01, 0x02, 0x03, 0x04, 0x0C, 0x10
Sn_RXBUF_SIZE, Sn_TXBUF_SIZE, Sn_TX_FSR, Sn_TX_RD, Sn_TX_WR = 0x1E, 0x1F, 0x20, 0x22, 0x24
Sn_RX_RSR, Sn_RX_RD, Sn_RX_WR = 0x26, 0x28, 0x2A
# Commands, status values, interrupt bits
OPEN, LISTEN, CONNECT, DISCON, CLOSE, SEND, RECV = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40
CLOSED, INIT, SYNSENT, ESTABLISHED, FIN_WAIT, CLOSE_WAIT, UDP = (
    0x00,
    0x13,
    0x15,
    0x17,
    0x18,
    0x1C,
    0x22,
)
IR_CON, IR_DISCON, IR_RECV, IR_TIMEOUT, IR_SENDOK = 0x01, 0x02, 0x04, 0x08, 0x10
MR_TCP, MR_UDP = 0x01, 0x02
BUFFER_KB = (0, 1, 2, 4, 8, 16)


def u16(regs, at: int) -> int:
    return regs[at] << 8 | regs[at + 1]


def put16(regs, at: int, value: int) -> None:
    regs[at], regs[at + 1] = value >> 8 & 0xFF, value & 0xFF


# Pointers a driver writes that take effect only at a command (facts: Sn_TX_WR at SEND, Sn_RX_RD
# at RECV; the Arduino library's UDP write relies on it, DS 5.3 "update ... then SEND/RECV").
COMMITTED_AT = {Sn_TX_WR: SEND, Sn_TX_WR + 1: SEND, Sn_RX_RD: RECV, Sn_RX_RD + 1: RECV}


class Socket:
    """One of the eight hardware sockets: its registers and its slices of TX/RX memory."""

    def __init__(self, chip: W5500, number: int):
        self.chip, self.number = chip, number
        self.regs = bytearray(0x30)
        self.tx, self.rx = bytearray(16384), bytearray(16384)
        self.reset()

    def reset(self) -> None:
        """Reset values of DS 5.3: all zero but these."""
        self.regs[:] = bytes(0x30)
        self.regs[Sn_RXBUF_SIZE] = self.regs[Sn_TXBUF_SIZE] = 2  # 2 KB each
        self.regs[0x06:0x0C] = b"\xff" * 6  # Sn_DHAR
        self.regs[0x16] = 0x80  # Sn_TTL
        self.regs[0x2C] = 0xFF  # Sn_IMR
        self.regs[0x2D] = 0x40  # Sn_FRAG 0x4000
        put16(self.regs, Sn_TX_FSR, 0x0800)
        self.pending: dict[int, int] = {}  # pointer bytes written, not yet committed by a command
        self.acked = 0  # TX pointer up to which the peer acknowledged
        self.send_end: int | None = None  # TX pointer that ends the pending SEND
        self.link = None  # the network's handle while open

    # --- sizes and pointers -------------------------------------------------------------
    def tx_size(self) -> int:
        return self._size(Sn_TXBUF_SIZE)

    def rx_size(self) -> int:
        return self._size(Sn_RXBUF_SIZE)

    def _size(self, reg: int) -> int:
        value = self.regs[reg]
        if value not in BUFFER_KB:
            self.chip.violation(f"socket {self.number}: buffer size register 0x{reg:02x} = {value}")
            return 0
        return value * 1024

    def rx_used(self) -> int:
        return (u16(self.regs, Sn_RX_WR) - u16(self.regs, Sn_RX_RD)) & 0xFFFF

    def rx_free(self) -> int:
        return self.rx_size() - self.rx_used()

    def read_reg(self, offset: int) -> int:
        if offset in (Sn_TX_FSR, Sn_TX_FSR + 1):
            # DS: in TCP mode Sn_TX_WR minus the peer's ACK pointer, otherwise Sn_TX_WR minus
            # Sn_TX_RD; from the committed Sn_TX_WR (facts).
            unacked = (u16(self.regs, Sn_TX_WR) - self.acked) & 0xFFFF
            put16(self.regs, Sn_TX_FSR, max(0, self.tx_size() - unacked))
        elif offset in (Sn_RX_RSR, Sn_RX_RSR + 1):
            put16(self.regs, Sn_RX_RSR, self.rx_used())  # DS: Sn_RX_WR minus (committed) Sn_RX_RD
        elif offset in self.pending:
            self.chip.stale_pointer_reads.append((self.number, offset))
        return self.regs[offset] if offset < len(self.regs) else 0

    def commit(self, command: int) -> None:
        """Pointer writes take effect at their command (facts)."""
        for offset in [o for o in self.pending if COMMITTED_AT[o] == command]:
            self.regs[offset] = self.pending.pop(offset)

    def write_reg(self, offset: int, value: int) -> None:
        if offset in COMMITTED_AT:
            self.pending[offset] = value
        elif offset == Sn_CR:
            self.command(value)
        elif offset == Sn_IR:
            self.regs[Sn_IR] &= ~value & 0xFF
        elif offset in (
            Sn_SR,
            Sn_TX_FSR,
            Sn_TX_FSR + 1,
            Sn_TX_RD,
            Sn_TX_RD + 1,
            Sn_RX_RSR,
            Sn_RX_RSR + 1,
            Sn_RX_WR,
            Sn_RX_WR + 1,
        ):
            pass  # read-only
        elif offset < len(self.regs):
            self.regs[offset] = value

    # --- commands --------------------------------------------------------------------------
    def command(self, cmd: int) -> None:
        net, sr = self.chip.network, self.regs[Sn_SR]
        if cmd == OPEN:
            self.chip.check_memory()
            self.close_link()
            # DS: OPEN initialises the pointers (to which value it does not say; drivers read
            # them first, as DS tells them to): both buffers empty where the pointers stood.
            self.pending.clear()
            tx_wr, rx_wr = u16(self.regs, Sn_TX_WR), u16(self.regs, Sn_RX_WR)
            put16(self.regs, Sn_TX_RD, tx_wr)
            put16(self.regs, Sn_RX_RD, rx_wr)
            self.acked, self.send_end, self.regs[Sn_IR] = tx_wr, None, 0
            mode = self.regs[Sn_MR] & 0x0F
            if mode == MR_TCP:
                self.regs[Sn_SR] = INIT
            elif mode == MR_UDP:
                self.regs[Sn_SR] = UDP
                self.link = net.udp_open(self, u16(self.regs, Sn_PORT))
            else:
                self.chip.violation(f"socket {self.number}: OPEN with unsupported mode {mode}")
        elif cmd == CONNECT and sr == INIT:
            self.regs[Sn_SR] = SYNSENT
            ip = bytes(self.regs[Sn_DIPR : Sn_DIPR + 4])
            self.link = net.tcp_connect(self, ip, u16(self.regs, Sn_DPORT))
        elif cmd == DISCON and sr in (ESTABLISHED, CLOSE_WAIT):
            self.regs[Sn_SR] = FIN_WAIT
            self.link.disconnect(peer_gone=sr == CLOSE_WAIT)
        elif cmd == CLOSE:
            self.close_link()
            self.regs[Sn_SR] = CLOSED
        elif cmd == SEND and sr in (ESTABLISHED, CLOSE_WAIT, UDP):
            self.commit(SEND)
            self.send()
        elif cmd == RECV and sr in (ESTABLISHED, CLOSE_WAIT, UDP):
            self.commit(RECV)
            if self.link:
                self.link.pump()
        elif cmd in (OPEN, LISTEN, CONNECT, DISCON, CLOSE, SEND, RECV):
            # DS: CONNECT and LISTEN are valid in TCP mode only, SEND and RECV on an open socket;
            # the chip does nothing with a command its socket's state does not take (Adafruit's
            # W5500 driver, which runs on real chips, issues CONNECT on its UDP sockets).
            self.chip.ignored_commands.append(f"socket {self.number}: 0x{cmd:02x} in 0x{sr:02x}")
        else:
            self.chip.violation(f"socket {self.number}: unknown command 0x{cmd:02x}")

    def send(self) -> None:
        if self.send_end is not None:
            self.chip.violation(f"socket {self.number}: SEND before the previous SEND_OK")
        start, end = u16(self.regs, Sn_TX_RD), u16(self.regs, Sn_TX_WR)
        size = self.tx_size()
        data = (
            bytes(self.tx[(start + i) % size] for i in range((end - start) & 0xFFFF))
            if size
            else b""
        )
        if (end - self.acked) & 0xFFFF > size:
            self.chip.violation(f"socket {self.number}: SEND of more than the TX buffer holds")
        put16(self.regs, Sn_TX_RD, end)
        self.send_end = end
        dest = (bytes(self.regs[Sn_DIPR : Sn_DIPR + 4]), u16(self.regs, Sn_DPORT))
        self.link.send(data, dest)

    def close_link(self) -> None:
        if self.link:
            self.link.close()
        self.link, self.send_end = None, None

    # --- events from the network -------------------------------------------------------
    def established(self) -> None:
        self.regs[Sn_SR], self.regs[Sn_IR] = ESTABLISHED, self.regs[Sn_IR] | IR_CON

    def acknowledged(self, count: int) -> None:
        self.acked = (self.acked + count) & 0xFFFF
        if self.send_end is not None and self.acked == self.send_end:
            self.send_end, self.regs[Sn_IR] = None, self.regs[Sn_IR] | IR_SENDOK

    def deliver(self, data: bytes) -> None:
        """Put received bytes (or a UDP header + datagram) into RX memory; caller checks room."""
        size, wr = self.rx_size(), u16(self.regs, Sn_RX_WR)
        for i, byte in enumerate(data):
            self.rx[(wr + i) % size] = byte
        put16(self.regs, Sn_RX_WR, (wr + len(data)) & 0xFFFF)
        self.regs[Sn_IR] |= IR_RECV

    def peer_closed(self) -> None:
        self.regs[Sn_SR] = CLOSE_WAIT if self.regs[Sn_SR] == ESTABLISHED else CLOSED
        self.regs[Sn_IR] |= IR_DISCON

    def state(self) -> int:
        return self.regs[Sn_SR]

    def closed_after_fin(self) -> None:
        """Both FINs are acknowledged: the socket is CLOSED (DS, Sn_SR)."""
        self.regs[Sn_SR] = CLOSED

    def peer_reset(self) -> None:
        self.link, self.send_end = None, None
        self.regs[Sn_SR], self.regs[Sn_IR] = CLOSED, self.regs[Sn_IR] | IR_DISCON

    def refused(self) -> None:
        """An RST answered our SYN: DS (CONNECT) lists it as a failed connect; the socket is
        CLOSED at once (WIZnet's ioLibrary connect() reports SOCK_CLOSED as the failure)."""
        self.link, self.send_end = None, None
        self.regs[Sn_SR] = CLOSED

    def timed_out(self) -> None:
        self.link, self.send_end = None, None
        self.regs[Sn_SR], self.regs[Sn_IR] = CLOSED, self.regs[Sn_IR] | IR_TIMEOUT


class W5500:
    """The chip: SPI frame decoder (16-bit address, control byte, data) over register blocks."""

    def __init__(self, network):
        self.network = network
        self.common = bytearray(0x40)
        self.sockets = [Socket(self, n) for n in range(8)]
        self.violations: list[str] = []
        self.stale_pointer_reads: list[tuple[int, int]] = []  # (socket, register offset)
        self.ignored_commands: list[str] = []  # commands the socket's state does not take
        self.reset()
        self._frame: list[int] = []

    def reset(self) -> None:
        """Reset values of DS 5.2: all zero but these."""
        self.common[:] = bytes(0x40)
        self.common[0x19:0x1C] = b"\x07\xd0\x08"  # RTR 0x07D0 (200 ms), RCR 8
        self.common[0x1C] = 0x28  # PTIMER
        self.common[0x26:0x28] = b"\xff\xff"  # PMRU
        self.common[PHYCFGR], self.common[VERSIONR] = 0xBF, 0x04  # link up, 100 Mbit full duplex
        for sock in self.sockets:
            sock.close_link()
            sock.reset()

    def violation(self, text: str) -> None:
        self.violations.append(text)

    @property
    def ip(self) -> bytes:
        return bytes(self.common[SIPR : SIPR + 4])

    def select(self, active: bool) -> None:
        """Chip select edge: a frame starts when SCSn goes low and ends when it goes high."""
        self._frame = []

    def transfer(self, mosi: int) -> int:
        frame = self._frame
        frame.append(mosi)
        if len(frame) <= 3:
            return 0
        address = (frame[0] << 8 | frame[1]) + len(frame) - 4
        control = frame[2]
        block, write, mode = control >> 3, control & 0x04, control & 0x03
        if mode and len(frame) - 3 == (1, 2, 4)[mode - 1]:
            self._frame = []  # fixed-length frame ends without a chip-select edge
        if write:
            self._write(block, address, mosi)
            return 0
        return self._read(block, address)

    def _read(self, block: int, address: int) -> int:
        if block == 0:
            return self.common[address] if address < len(self.common) else 0
        sock = self.sockets[(block - 1) >> 2]
        kind = (block - 1) & 3
        if kind == 0:
            return sock.read_reg(address)
        memory, size = (sock.tx, sock.tx_size()) if kind == 1 else (sock.rx, sock.rx_size())
        return memory[address % size] if size else 0

    def _write(self, block: int, address: int, value: int) -> None:
        if block == 0:
            if address == MR and value & 0x80:
                self.reset()
            elif address < len(self.common) and address not in (PHYCFGR, VERSIONR):
                self.common[address] = value
            return
        sock = self.sockets[(block - 1) >> 2]
        kind = (block - 1) & 3
        if kind == 0:
            sock.write_reg(address, value)
        elif kind == 1 and sock.tx_size():
            sock.tx[address % sock.tx_size()] = value
        elif kind == 2:
            self.violation(f"socket {sock.number}: write to RX memory")

    def tcp_timeout(self) -> float:
        """Seconds until an unanswered SYN gives Sn_IR TIMEOUT (DS 5.2, RTR and RCR): the
        retransmission time doubles from RTR up to the largest RTR x 2^M below 0x10000 (units of
        100 us), then stays there, for RCR + 1 transmissions: 31.8 s with the reset values."""
        rtr, rcr = self.common[0x19] << 8 | self.common[0x1A], self.common[0x1B]
        waits, step = [], rtr
        for _ in range(rcr + 1):
            waits.append(step)
            if step * 2 < 0x10000:
                step *= 2
        return sum(waits) * 1e-4

    def check_memory(self) -> None:
        for reg, name in ((Sn_TXBUF_SIZE, "TX"), (Sn_RXBUF_SIZE, "RX")):
            total = sum(s.regs[reg] for s in self.sockets)
            if total > 16:
                self.violation(f"{name} buffer sizes add up to {total} KB (max 16)")
