"""The Arduino Ethernet library (W5100/W5200/W5500 driver, DHCP, DNS, TCP client, UDP) on the
simulated W5500, against the simulated LAN and the real local stack (`chalice local` + S3).

If vendor code that works on real shields fails here, the W5500 model (or our reading of the
datasheet) is wrong: this is what found that Sn_TX_WR/Sn_RX_RD only take effect at SEND/RECV.
"""

from __future__ import annotations

import re

import pytest

from simboard import firmware, sketch
from simboard.arducam import Camera
from simboard.frames import photo_jpeg
from simboard.rig import rig
from simboard.services import API_IP, BOARD_IP, DNS_SERVER, ECHO_IP, Dhcp, Dns, Echo
from tests.conformance.conftest import build_sketch, c_bytes, c_string, header, oracle
from tests.hil.conftest import stored_objects

pytestmark = pytest.mark.conformance

HOST = "frames.stopmotion.test"
CAMERA = "conf-eth"
MAC = bytes([0x02, 0x53, 0x4D, 0x00, 0x00, 0x43])
POST_SIZES = (5 * 1024, 64 * 1024)  # 64 KB: past the 16-bit buffer pointers' wrap
LEASE_S = 30  # maintain() renews at T1, half of it


def jpeg_head() -> bytes:
    """A real JPEG up to the start of its scan data (SOI .. SOS header)."""
    jpeg = photo_jpeg(64, 48, seed=3)
    sos = jpeg.index(b"\xff\xda")
    return jpeg[: sos + 2 + int.from_bytes(jpeg[sos + 2 : sos + 4], "big")]


def body(size: int, head: bytes) -> bytes:
    """The bytes the sketch generates (body_byte in the sketch): a JPEG the service stores as is."""
    scan = bytes((i * 7 + (i >> 8)) % 251 for i in range(len(head), size - 2))
    return head + scan + b"\xff\xd9"


@pytest.fixture(scope="session")
def ethernet_sketch(tmp_path_factory, cameras):
    library = oracle("arduino-ethernet")
    out = tmp_path_factory.mktemp("conformance-ethernet")
    head = jpeg_head()
    auths = [cameras.authorization(CAMERA, body(size, head)) for size in POST_SIZES]
    config = header(out / "include" / "conformance_config.h", {
        "CONF_MAC": c_bytes(MAC),
        "CONF_HOST": c_string(HOST),
        "CONF_HTTP_PORT": "80",
        "CONF_ECHO_IP": ", ".join(map(str, ECHO_IP)),
        "CONF_ECHO_PORT": "7",
        "CONF_UDP_LOCAL_PORT": "8888",
        "CONF_JPEG_HEAD": c_bytes(head),
        "CONF_POST_SIZES": "{" + ", ".join(f"{s}UL" for s in POST_SIZES) + "}",
        "CONF_POST_AUTH_0": c_string(auths[0]),
        "CONF_POST_AUTH_1": c_string(auths[1]),
    })
    elf = build_sketch(out, "ethernet_conformance.cpp",
                       [library, sketch.library("SPI")], include=[config.parent])
    return elf, head


def test_dhcp_dns_udp_tcp_and_renewal(ethernet_sketch, local_stack):
    elf, head = ethernet_sketch
    dhcp, dns, echo = Dhcp(lease=LEASE_S), Dns(), Echo()
    with rig(elf, firmware.static_ram_end(elf), Camera(photo_jpeg(32, 24)), local_stack.api_port,
             HOST, dhcp=dhcp, dns=dns, services={7: echo}) as (board, proxy):
        try:
            lease = board.wait_for_log(r"^dhcp: (.*)", 40)
            assert lease.group(1) == f"{_ip(BOARD_IP)} dns-server {_ip(DNS_SERVER)}"
            assert board.wait_for_log(r"^dns: (.*)", 20).group(1) == f"1 {_ip(API_IP)}"
            assert board.wait_for_log(r"^udp: (.*)", 10).group(1) == "one,two,three"
            assert [packet for _, packet in echo.log] == [b"one,two,three"]
            for size in POST_SIZES:
                status = board.wait_for_log(rf"^post {size}: (.*)", 60).group(1)
                assert re.match(r"HTTP/1\.[01] 201 ", status), status
            assert board.wait_for_log(r"^maintain: (\d+)", LEASE_S).group(1) == "2"  # renewed
        finally:
            print(board.log_text())
    assert [r.content_length for r in proxy.requests] == list(POST_SIZES)
    stored = stored_objects(local_stack, CAMERA)
    assert sorted(stored.values(), key=len) == [body(size, head) for size in POST_SIZES]
    kinds = [kind for _, kind, _ in dhcp.log]
    assert kinds[:2] == ["DISCOVER", "REQUEST"] and kinds.count("REQUEST") >= 2, dhcp.log
    assert board.chip.violations == []


def _ip(raw: bytes) -> str:
    return ".".join(map(str, raw))
