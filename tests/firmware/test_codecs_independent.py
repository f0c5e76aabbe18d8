"""The firmware's DNS and DHCP codecs against independent implementations: packets built and read
by dnslib and scapy, run through the C++ codecs (tests/firmware/codec_tool.cpp)."""

from __future__ import annotations

import subprocess

import pytest
from dnslib import CNAME, QTYPE, RCODE, RR, A, DNSRecord
from scapy.layers.dhcp import BOOTP, DHCP

MAC = "02534d000001"
MAC_BYTES = bytes.fromhex(MAC)


def tool(binary, *args: object) -> str:
    run = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, timeout=30)
    assert run.returncode in (0, 1), run.stderr
    return run.stdout.strip()


# --- DNS ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["cam.example.com", "d111111abcdef8.cloudfront.net",
                                  "frames.stopmotion.test.", "a" * 63 + ".b"])
def test_dns_query_reads_back_in_dnslib(codec_tool, name):
    query = DNSRecord.parse(bytes.fromhex(tool(codec_tool, "dns-query", 0x4242, name)))
    assert query.header.id == 0x4242
    assert query.header.qr == 0 and query.header.rd == 1 and query.header.opcode == 0
    assert len(query.questions) == 1 and not query.rr and not query.auth and not query.ar
    q = query.questions[0]
    assert str(q.qname).rstrip(".") == name.rstrip(".")
    assert q.qtype == QTYPE.A and q.qclass == 1


def answer(question_id: int, name: str, *records: RR, rcode: int = RCODE.NOERROR) -> str:
    reply = DNSRecord.question(name).reply()
    reply.header.id = question_id
    reply.header.rcode = rcode
    for rr in records:
        reply.add_answer(rr)
    return reply.pack().hex()  # dnslib compresses repeated names with pointers


def test_dns_a_answer_from_dnslib(codec_tool):
    packet = answer(7, "cam.example.com", RR("cam.example.com", QTYPE.A, rdata=A("93.184.216.34"),
                                             ttl=300))
    assert "c00c" in packet  # the answer's name is a compression pointer to the question
    assert tool(codec_tool, "dns-parse", 7, packet) == "ok 93.184.216.34 300"


def test_dns_cname_chain_from_dnslib(codec_tool):
    """CloudFront style: the name is a CNAME, the A records follow under the target name."""
    name, target = "frames.example.com", "d111111abcdef8.cloudfront.net"
    packet = answer(9, name,
                    RR(name, QTYPE.CNAME, rdata=CNAME(target), ttl=60),
                    RR(target, QTYPE.A, rdata=A("13.32.1.2"), ttl=20),
                    RR(target, QTYPE.A, rdata=A("13.32.1.3"), ttl=20))
    assert tool(codec_tool, "dns-parse", 9, packet) == "ok 13.32.1.2 20"


def test_dns_errors_from_dnslib(codec_tool):
    assert tool(codec_tool, "dns-parse", 3, answer(3, "nope.example.com", rcode=RCODE.NXDOMAIN)) \
        == "servererror"
    assert tool(codec_tool, "dns-parse", 3, answer(3, "x.example.com", rcode=RCODE.SERVFAIL)) \
        == "servererror"
    assert tool(codec_tool, "dns-parse", 3, answer(3, "x.example.com")) == "noaddress"
    assert tool(codec_tool, "dns-parse", 4, answer(3, "x.example.com")) == "notours"


def test_dns_every_truncation_is_rejected(codec_tool):
    packet = bytes.fromhex(answer(5, "cam.example.com",
                                  RR("cam.example.com", QTYPE.A, rdata=A("10.0.0.1"))))
    for n in range(len(packet)):
        assert tool(codec_tool, "dns-parse", 5, packet[:n].hex()) in ("malformed", "notours")


# --- DHCP --------------------------------------------------------------------------------------

def dhcp_options(packet: bytes) -> dict:
    bootp = BOOTP(packet)
    return bootp, {o[0]: o[1:] for o in bootp[DHCP].options if isinstance(o, tuple)}


def test_dhcp_discover_reads_back_in_scapy(codec_tool):
    raw = bytes.fromhex(tool(codec_tool, "dhcp-build", 1, 0xDEADBEEF, MAC,
                             "0.0.0.0", "0.0.0.0", "0.0.0.0", 1))
    assert len(raw) >= 300
    bootp, opts = dhcp_options(raw)
    assert bootp.op == 1 and bootp.htype == 1 and bootp.hlen == 6 and bootp.xid == 0xDEADBEEF
    assert bootp.flags == 0x8000 and bootp.ciaddr == "0.0.0.0"
    assert bootp.chaddr[:6] == MAC_BYTES
    assert opts["message-type"] == (1,)
    assert opts["client_id"] == (b"\x01" + MAC_BYTES,)
    assert set(opts["param_req_list"][0]) >= {1, 3, 6, 51}
    assert "requested_addr" not in opts and "server_id" not in opts


def test_dhcp_request_reads_back_in_scapy(codec_tool):
    raw = bytes.fromhex(tool(codec_tool, "dhcp-build", 3, 77, MAC,
                             "0.0.0.0", "192.168.7.20", "192.168.7.1", 1))
    bootp, opts = dhcp_options(raw)
    assert opts["message-type"] == (3,)
    assert opts["requested_addr"] == ("192.168.7.20",)
    assert opts["server_id"] == ("192.168.7.1",)


def test_dhcp_renewal_request_reads_back_in_scapy(codec_tool):
    raw = bytes.fromhex(tool(codec_tool, "dhcp-build", 3, 78, MAC,
                             "192.168.7.20", "0.0.0.0", "0.0.0.0", 0))
    bootp, opts = dhcp_options(raw)
    assert bootp.ciaddr == "192.168.7.20" and bootp.flags == 0
    assert "requested_addr" not in opts and "server_id" not in opts


def scapy_reply(kind: str, xid: int, options: list) -> str:
    packet = BOOTP(op=2, xid=xid, yiaddr="10.9.8.7", siaddr="10.9.8.1",
                   chaddr=MAC_BYTES + bytes(10)) / DHCP(options=[("message-type", kind), *options,
                                                               "end"])
    return bytes(packet).hex()


def test_dhcp_offer_and_ack_from_scapy(codec_tool):
    options = [("server_id", "10.9.8.1"), ("subnet_mask", "255.255.0.0"),
               ("router", "10.9.8.254"), ("name_server", "1.1.1.1", "8.8.8.8"),
               ("lease_time", 86400)]
    for kind, number in (("offer", 2), ("ack", 5)):
        out = tool(codec_tool, "dhcp-parse", 0x1234, MAC, scapy_reply(kind, 0x1234, options))
        assert out == (f"ok type={number} yiaddr=10.9.8.7 server=10.9.8.1 subnet=255.255.0.0 "
                       "router=10.9.8.254 dns=1.1.1.1 lease=86400 t1=43200 t2=75600")


def test_dhcp_explicit_timers_and_nak_from_scapy(codec_tool):
    timers = [("server_id", "10.9.8.1"), ("lease_time", 600), ("renewal_time", 100),
              ("rebinding_time", 500), "pad", "pad"]
    out = tool(codec_tool, "dhcp-parse", 1, MAC, scapy_reply("ack", 1, timers))
    assert out.endswith("lease=600 t1=100 t2=500")
    assert tool(codec_tool, "dhcp-parse", 1, MAC, scapy_reply("nak", 1, [])).startswith("ok type=6")


def test_dhcp_other_clients_and_damage_from_scapy(codec_tool):
    packet = scapy_reply("ack", 5, [("lease_time", 60)])
    assert tool(codec_tool, "dhcp-parse", 6, MAC, packet) == "notforus"
    assert tool(codec_tool, "dhcp-parse", 5, "020000000009", packet) == "notforus"
    raw = bytes.fromhex(packet)
    for n in range(0, len(raw), 5):  # cut anywhere: a clean verdict, never a crash (ASan is on)
        out = tool(codec_tool, "dhcp-parse", 5, MAC, raw[:n].hex())
        assert out in ("malformed", "notforus") or out.startswith("ok type=5"), (n, out)
        if n < 240:
            assert out == "malformed"
