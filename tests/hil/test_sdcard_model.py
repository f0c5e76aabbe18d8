"""The SD card model on its own, driven byte by byte as an SPI host would drive it (no simulator),
its time advancing by one byte time per byte: the init sequence, block reads and writes, busy,
and the faults. tests/conformance runs the vendors' drivers on the same model."""

from __future__ import annotations

import pytest

from simboard import sdcard as sd
from simboard.core import SimTime

BLOCKS = 2048  # a 1 MB image
HCS = 0x40000000


def pattern(seed: int) -> bytes:
    return bytes((seed * 7 + i * 13) & 0xFF for i in range(sd.BLOCK))


class Host:
    """An SPI host at `hz`: each byte takes its 8 clocks of simulated time."""

    def __init__(self, card: sd.SdCard, hz: float = 4e6):
        self.card, self.byte_time = card, 8 / hz

    def _tick(self) -> None:
        self.card.clock.set(self.card.clock() + self.byte_time)

    def xfer(self, byte: int = 0xFF) -> int:
        self._tick()
        return self.card.transfer(byte)

    def read(self, n: int) -> bytes:
        return bytes(self.xfer() for _ in range(n))

    def clocks_with_cs_high(self, nbytes: int = 10) -> None:
        for _ in range(nbytes):
            self._tick()
            self.card.clock_deselected()

    def command(self, index: int, arg: int = 0, crc: int | None = None) -> int:
        """Sends a command (CS low) and returns the first response byte with bit 7 clear, or
        0xFF when none comes within 8 bytes (Ncr)."""
        self.card.select(True)
        frame = bytes([0x40 | index, *arg.to_bytes(4, "big")])
        for byte in frame + bytes([sd.crc7(frame) << 1 | 1 if crc is None else crc]):
            self.xfer(byte)
        for _ in range(9):
            r1 = self.xfer()
            if not r1 & 0x80:
                return r1
        return 0xFF

    def wait_token(self, limit: int = 10_000) -> int:
        for _ in range(limit):
            token = self.xfer()
            if token != 0xFF:
                return token
        return 0xFF

    def wait_not_busy(self, limit: int = 100_000) -> int:
        """Bytes read before MISO went high again."""
        for n in range(limit):
            if self.xfer() == 0xFF:
                return n
        raise AssertionError("card still busy")

    def init(self, hcs: bool = True) -> int:
        """Sd2Card::init's sequence; returns the number of ACMD41s sent."""
        self.clocks_with_cs_high()
        assert self.command(0, 0, 0x95) == sd.R1_IDLE
        assert self.command(8, 0x1AA, 0x87) == sd.R1_IDLE
        assert self.read(4) == b"\x00\x00\x01\xaa"
        for tries in range(1, 1000):
            self.command(55)
            if self.command(41, HCS if hcs else 0) == 0:
                return tries
        raise AssertionError("ACMD41 never completed")

    def read_block(self, arg: int) -> bytes:
        assert self.command(17, arg) == 0
        assert self.wait_token() == sd.START_BLOCK
        data, crc = self.read(sd.BLOCK), self.read(2)
        assert int.from_bytes(crc, "big") == sd.crc16(data)
        self.card.select(False)
        return data

    def send_block(self, token: int, data: bytes) -> int:
        """Token, data, two CRC bytes; returns the data response."""
        self.xfer(token)
        for byte in data:
            self.xfer(byte)
        crc = sd.crc16(data).to_bytes(2, "big")
        self.xfer(crc[0])
        self.xfer(crc[1])
        return self.xfer()

    def write_block(self, arg: int, data: bytes) -> int:
        assert self.command(24, arg) == 0
        self.xfer()
        response = self.send_block(sd.START_BLOCK, data)
        if response & 0x1F == 0x05:
            self.wait_not_busy()
        return response


def card(**options) -> sd.SdCard:
    image = bytearray(b"".join(pattern(b % 251) for b in range(BLOCKS)))
    return sd.SdCard(image, clock=SimTime(), **options)


def ready(**options) -> tuple[sd.SdCard, Host]:
    c = card(**options)
    host = Host(c)
    host.init()
    return c, host


def test_init_sequence_sdhc():
    c = card()
    host = Host(c, hz=250e3)
    host.clocks_with_cs_high()
    assert host.command(0, 0, 0x95) == sd.R1_IDLE
    assert host.command(8, 0x1AA, 0x87) == sd.R1_IDLE and host.read(4) == b"\x00\x00\x01\xaa"
    assert host.command(58) == sd.R1_IDLE
    assert host.read(4) == b"\x00\xff\x80\x00"  # not powered up yet: no CCS
    assert host.command(17, 0) == sd.R1_IDLE | sd.R1_ILLEGAL_COMMAND  # not while idle
    answers = []
    while not answers or answers[-1] != 0:
        host.command(55)
        answers.append(host.command(41, HCS))
    assert answers == [sd.R1_IDLE] * 3 + [0]  # init_tries
    assert host.command(58) == 0 and host.read(4) == b"\xc0\xff\x80\x00"  # ready, CCS
    assert host.command(60) == sd.R1_ILLEGAL_COMMAND
    assert c.violations == []


def test_cmd0_needs_the_power_up_clocks_and_its_crc():
    c = card()
    host = Host(c)
    assert host.command(0, 0, 0x95) == 0xFF
    assert "CMD0 after 0 clocks" in c.violations[0]
    host.clocks_with_cs_high()
    assert host.command(0, 0, 0x94) == 0xFF  # a bad CRC in SD mode: no answer
    assert host.command(8, 0x1AA, 0x87) == 0xFF  # SD mode answers nothing but CMD0
    assert host.command(0, 0, 0x95) == sd.R1_IDLE
    assert host.command(8, 0x1AA, 0x86) == sd.R1_IDLE | sd.R1_CRC_ERROR  # CMD8's CRC is checked


def test_sdhc_card_never_completes_for_a_host_without_hcs():
    host = Host(card())
    host.clocks_with_cs_high()
    host.command(0, 0, 0x95)
    for _ in range(20):
        host.command(55)
        assert host.command(41, 0) == sd.R1_IDLE


def test_slow_card_takes_many_acmd41():
    assert Host(card(init_tries=50)).init() == 51


def test_csd_gives_the_image_size():
    for sdhc in (True, False):
        c, host = ready(sdhc=sdhc)
        assert host.command(9) == 0 and host.wait_token() == sd.START_BLOCK
        csd = host.read(16)
        assert int.from_bytes(host.read(2), "big") == sd.crc16(csd)
        assert csd[15] == sd.crc7(csd[:15]) << 1 | 1
        bits = int.from_bytes(csd, "big")
        if sdhc:
            assert bits >> 126 == 1
            assert ((bits >> 48 & 0x3FFFFF) + 1) * 1024 == BLOCKS
        else:
            assert bits >> 126 == 0
            c_size, mult, bl_len = bits >> 62 & 0xFFF, bits >> 47 & 7, bits >> 80 & 0xF
            assert (c_size + 1) << (mult + 2 + bl_len - 9) == BLOCKS
        assert host.command(10) == 0 and host.wait_token() == sd.START_BLOCK
        assert host.read(16)[3:8] == b"SIMSD"


def test_image_sizes_the_csd_cannot_describe_are_refused():
    with pytest.raises(ValueError, match="512 KB"):
        sd.SdCard(bytearray(sd.BLOCK * 100))
    with pytest.raises(ValueError, match="whole number of 512-byte blocks"):
        sd.SdCard(bytearray(1000), sdhc=False)
    sd.SdCard(bytearray(sd.BLOCK * 100), sdhc=False)


def test_block_write_read_round_trip_and_busy():
    c, host = ready(busy_seconds=0.003)
    before = bytes(c.data)
    assert host.command(24, 5) == 0
    host.xfer()
    assert host.send_block(sd.START_BLOCK, pattern(99)) == sd.DATA_ACCEPTED
    start = c.clock()
    busy_bytes = host.wait_not_busy()
    assert busy_bytes > 0 and c.clock() - start == pytest.approx(0.003, abs=2 * host.byte_time)
    assert host.command(13) == 0 and host.xfer() == 0  # R2: no error
    c.select(False)
    assert host.read_block(5) == pattern(99)
    assert bytes(c.data[5 * 512 : 6 * 512]) == pattern(99)
    assert bytes(c.data[: 5 * 512]) == before[: 5 * 512] and c.data[6 * 512 :] == before[6 * 512 :]
    assert c.violations == []


def test_busy_goes_on_while_deselected():
    c, host = ready(busy_seconds=0.01)
    assert host.command(24, 3) == 0
    host.xfer()
    assert host.send_block(sd.START_BLOCK, pattern(1)) & 0x1F == 0x05
    assert host.xfer() == 0x00
    c.select(False)
    c.clock.set(c.clock() + 0.005)
    c.select(True)
    assert host.xfer() == 0x00  # still programming
    c.clock.set(c.clock() + 0.006)
    assert host.xfer() == 0xFF
    assert c.violations == []


def test_standard_capacity_card_takes_byte_addresses():
    c, host = ready(sdhc=False)
    assert host.command(58) == 0 and host.read(4)[0] & 0xC0 == 0x80  # no CCS
    assert host.write_block(7 * 512, pattern(7)) & 0x1F == 0x05
    assert host.read_block(7 * 512) == pattern(7)
    assert host.command(17, 7 * 512 + 1) == sd.R1_ADDRESS_ERROR


def test_addresses_past_the_end_are_parameter_errors():
    c, host = ready()
    assert host.command(17, BLOCKS) == sd.R1_PARAMETER_ERROR
    assert host.command(24, BLOCKS) == sd.R1_PARAMETER_ERROR
    assert host.read_block(BLOCKS - 1) == bytes(c.data[-512:])


def test_multi_block_write_then_read():
    c, host = ready()
    assert host.command(25, 10) == 0
    for i in range(3):
        host.xfer()
        assert host.send_block(sd.START_MULTI_WRITE, pattern(40 + i)) & 0x1F == 0x05
        host.wait_not_busy()
    host.xfer(sd.STOP_TRAN)
    host.xfer()
    host.wait_not_busy()
    assert [bytes(c.data[b * 512 : (b + 1) * 512]) for b in (10, 11, 12)] == [
        pattern(40), pattern(41), pattern(42)]
    assert host.command(18, 9) == 0
    blocks = []
    for _ in range(4):
        assert host.wait_token() == sd.START_BLOCK
        blocks.append(host.read(512))
        host.read(2)
    assert blocks[1:] == [pattern(40), pattern(41), pattern(42)]
    assert host.command(12) == 0  # after a stuff byte with bit 7 set or not: R1 comes
    host.wait_not_busy()
    assert host.read_block(12) == pattern(42)
    assert c.violations == []


def test_multi_block_read_past_the_end_gives_an_error_token():
    c, host = ready()
    assert host.command(18, BLOCKS - 1) == 0
    assert host.wait_token() == sd.START_BLOCK
    host.read(514)
    assert host.wait_token() == sd.ERROR_TOKEN_OUT_OF_RANGE


def test_write_error_leaves_the_block_unchanged():
    c, host = ready(bad_blocks={7})
    before = bytes(c.data[7 * 512 : 8 * 512])
    assert host.write_block(7, pattern(3)) & 0x1F == 0b01101
    assert bytes(c.data[7 * 512 : 8 * 512]) == before
    assert host.command(13) == 0 and host.xfer() == sd.STATUS_ERROR
    assert host.command(13) == 0 and host.xfer() == 0  # cleared by the read
    assert host.write_block(8, pattern(3)) & 0x1F == 0x05


def test_read_only_card_rejects_writes():
    c, host = ready(read_only=True)
    before = bytes(c.data)
    assert host.write_block(1, pattern(3)) & 0x1F == 0b01101
    assert host.command(13) == 0 and host.xfer() == sd.STATUS_WP_VIOLATION
    assert bytes(c.data) == before


def test_power_cut_mid_block_leaves_that_block_undefined():
    c, host = ready(cut_power_after=512 + 100)
    before = bytes(c.data)
    assert host.command(25, 20) == 0
    host.xfer()
    assert host.send_block(sd.START_MULTI_WRITE, pattern(1)) & 0x1F == 0x05
    host.wait_not_busy()
    host.xfer()
    assert host.send_block(sd.START_MULTI_WRITE, pattern(2)) == 0xFF  # nobody answers
    assert c.power_cycles == 1
    assert bytes(c.data[20 * 512 : 21 * 512]) == pattern(1)
    assert bytes(c.data[21 * 512 : 22 * 512]) == sd.UNDEFINED_BLOCK
    assert bytes(c.data[: 20 * 512]) == before[: 20 * 512]
    assert bytes(c.data[22 * 512 :]) == before[22 * 512 :]
    c.select(False)
    assert host.command(17, 20) == 0xFF  # needs a new init
    host.init()
    assert host.read_block(20) == pattern(1)


def test_power_cut_while_programming_leaves_that_block_undefined():
    c, host = ready(busy_seconds=0.01)
    assert host.command(24, 4) == 0
    host.xfer()
    assert host.send_block(sd.START_BLOCK, pattern(5)) & 0x1F == 0x05
    c.power_cut()
    assert bytes(c.data[4 * 512 : 5 * 512]) == sd.UNDEFINED_BLOCK
    assert host.command(0, 0, 0x95) == 0xFF  # no power-up clocks yet


def test_absent_card_never_drives_miso():
    c = card(present=False)
    host = Host(c)
    host.clocks_with_cs_high()
    assert host.command(0, 0, 0x95) == 0xFF and host.read(600) == b"\xff" * 600


def test_crc_checking_when_turned_on():
    c, host = ready()
    assert host.command(59, 1) == 0
    assert host.command(17, 0, crc=0x01) == sd.R1_CRC_ERROR
    assert host.command(24, 2) == 0
    host.xfer()
    host.xfer(sd.START_BLOCK)
    for byte in pattern(200):
        host.xfer(byte)
    host.xfer(0)
    host.xfer(0)
    assert host.xfer() & 0x1F == 0b01011  # CRC error: block unchanged
    assert bytes(c.data[1024:1536]) == pattern(2)


def test_raising_cs_mid_block_is_a_violation():
    c, host = ready()
    before = bytes(c.data[2 * 512 : 3 * 512])
    assert host.command(24, 2) == 0
    host.xfer(sd.START_BLOCK)
    for byte in pattern(9)[:100]:
        host.xfer(byte)
    c.select(False)
    assert "CS raised after 100 bytes of block 2" in c.violations[0]
    assert bytes(c.data[2 * 512 : 3 * 512]) == before
    c.select(True)
    assert host.command(17, 0) == 0


def test_fast_clock_during_init_is_a_violation():
    c = card()
    c.spi_hz = 8e6
    Host(c).init()
    assert any("8000000 Hz during initialisation" in v for v in c.violations)


def test_image_file_is_written_through(tmp_path):
    path = tmp_path / "card.img"
    path.write_bytes(bytes(1 << 20))
    c = sd.SdCard(path, clock=SimTime())
    host = Host(c)
    host.init()
    assert host.write_block(33, pattern(33)) & 0x1F == 0x05
    assert path.read_bytes()[33 * 512 : 34 * 512] == pattern(33)
