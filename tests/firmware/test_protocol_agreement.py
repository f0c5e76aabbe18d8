"""The camera's side of the protocol, produced by the firmware's own code (built for the host,
tests/firmware/codec_tool.cpp), against the service's protocol package (chalicelib/protocol):
the upload's head, the string to sign and the Authorization (the frame's age among them), the
health report, the hello, the bounds of Next, the route it signs, and the firmware version."""

from __future__ import annotations

import hashlib
import re
import subprocess

import pytest

from chalicelib.protocol import answer, fleet, schedule, upload

from .hostbuild import FIRMWARE


def tool(codec_tool, *args) -> bytes:
    out = subprocess.run([str(codec_tool), *map(str, args)], capture_output=True, text=True,
                         timeout=30, check=True).stdout.strip()
    return bytes.fromhex(out)


SIGNED = upload.authorization(bytes(range(32)), "garden-01", 4242, b"\xff\xd8 frame \xff\xd9",
                              age=86400)
# Ages: just taken, a second, a day, the oldest the service takes, and the most 32 bits hold.
AGES = [0, 1, 86_400, upload.MAX_AGE_S, 2**32 - 1]


HEALTH = "fw=0.3.0 up=86400 boots=3 reset=watchdog sram=531 tries=2 queued=0 lost=1 lead=0 " \
    "link=100M dhcp=2 spi=8000"


@pytest.mark.parametrize("host,port,path,length,credential,health", [
    ("d111.cloudfront.net", 80, "/frames", 123456, SIGNED, HEALTH),
    ("frames.example.org", 8080, "/api/frames", 0, SIGNED, HEALTH),  # a stage prefix, a hello
    ("d111.cloudfront.net", 80, "/frames", 123456, SIGNED, None),  # no health header
    ("d111.cloudfront.net", 80, "/frames", 4294967295, None, None),  # unsigned: no Authorization
])
def test_the_firmwares_head_is_the_protocols(codec_tool, host, port, path, length, credential,
                                             health):
    user_agent = upload.USER_AGENT_PREFIX + upload.FIRMWARE_VERSION
    firmware = tool(codec_tool, "post-head", host, port, path, user_agent, length,
                    credential or "-", health or "-")
    host_header = host if port == 80 else f"{host}:{port}"
    assert firmware == upload.request_head(host_header, path, length, credential, user_agent,
                                           health=health)


def test_the_builds_room_for_names_in_the_head_is_what_the_firmware_writes(codec_tool):
    """main.cpp refuses a configuration whose host, path and camera id do not fit the 512-byte head
    beside kHeadBytesBesidesConfig: that figure is the head at the largest values the camera sends,
    less those names (an id of the longest the service takes)."""
    source = (FIRMWARE / "lib" / "uploader" / "frame_upload.h").read_text()
    figure = int(re.search(r"kHeadBytesBesidesConfig = (\d+);", source)[1])
    camera, fifo_bytes = "c" * 32, 0x7FFFFF  # the longest id; the FIFO's 23-bit length
    credential = upload.authorization(bytes(32), camera, 2**32 - 1, b"", age=2**32 - 1)
    largest = (upload.FIRMWARE_VERSION, 2**32 - 1, 2**32 - 1, "watchdog", 65535, 255, 65535,
               65535, 255, "100M", 65535, 8000)
    health = tool_text(codec_tool, "health", *largest)
    user_agent = upload.USER_AGENT_PREFIX + upload.FIRMWARE_VERSION
    for host, port, path, port_text in [("h", 80, "/", ""),
                                        ("frames.example.org", 65535, "/f", ":65535")]:
        head = tool(codec_tool, "post-head", host, port, path, user_agent, fifo_bytes, credential,
                    health)
        assert len(head) - len(host) - len(path) - len(camera) - len(port_text) == figure


# The numbers a camera reports: a fresh boot, and every field at the most its type holds.
HEALTHS = [
    ("0.3.0", 0, 1, "poweron", 1100, 1, 0, 0, 0, "100M", 0, 8000),
    ("0.3.0", 2**32 - 1, 2**32 - 1, "watchdog", 65535, 255, 65535, 65535, 255, "down", 65535,
     4000),
    ("0.3.0", 86400, 3, "brownout", 531, 2, 4, 1, 1, "10M", 2, 8000),
]


@pytest.mark.parametrize("numbers", HEALTHS)
def test_the_firmwares_health_is_the_protocols(codec_tool, numbers):
    """Every field, in HEALTH_FIELDS order, byte for byte as upload.health_value writes them, and
    a value the service takes (within its limits even at the largest numbers)."""
    firmware = tool_text(codec_tool, "health", *numbers)
    expected = upload.health_value(dict(zip(upload.HEALTH_FIELDS, numbers, strict=True)))
    assert firmware == expected
    assert list(upload.parse_health(firmware)) == list(upload.HEALTH_FIELDS)


def test_the_firmwares_reset_causes_are_the_fleets():
    """The names board.cpp reports for the last reset are health values, and the watchdog's, the
    brown-out's and a restart's (MCUSR cleared by a bootloader, RAM kept) are the fleet's
    trouble."""
    source = (FIRMWARE / "lib" / "camera_board" / "board.cpp").read_text()
    body = source[source.index("const char* reset_cause_P() {"):]
    names = re.findall(r'PSTR\("([^"]*)"\)', body[:body.index("\n}\n")])
    assert names == ["watchdog", "brownout", "external", "poweron", "restart"]
    assert upload.parse_health(" ".join(f"reset={name}" for name in names[:1]))
    assert all(re.fullmatch(r"[A-Za-z0-9.-]{1,16}", name) for name in names)
    assert {"watchdog", "brownout", "restart"} <= set(fleet.TROUBLE_RESETS)
    assert not {"external", "poweron"} & set(fleet.TROUBLE_RESETS)


def test_the_firmwares_hello_is_the_protocols(codec_tool):
    """A hello is signed over no body: Content-Length 0 and the SHA-256 of nothing, the digest
    the board keeps as a constant (camera_board.cpp)."""
    source = (FIRMWARE / "lib" / "camera_board" / "camera_board.cpp").read_text()
    table = source[source.index("kNothing[auth::Sha256::kDigestSize] PROGMEM = {"):]
    digest = bytes(int(b, 16) for b in re.findall(r"0x([0-9a-f]{2})", table[:table.index("};")]))
    assert digest == hashlib.sha256(b"").digest()
    firmware = tool(codec_tool, "string-to-sign", upload.METHOD, upload.ROUTE, "cam-1", 7, 0, 0,
                    digest.hex(), HEALTH)
    secret = bytes(range(32))
    signature = upload.sign(secret, firmware)
    credential = upload.parse_authorization(upload.credential_value("cam-1", 7, 0, signature))
    assert upload.verify(credential, secret, b"", health=HEALTH) == digest.hex()


def test_the_firmware_bounds_next_by_the_protocols_longest_wait(codec_tool):
    low, high = map(int, tool_text(codec_tool, "next-bounds").split())
    assert high == schedule.MAX_NEXT_S
    assert 1 <= low <= 5  # the capture-time goal: a slot is never missed by more than that


@pytest.mark.parametrize("health", ["", "up=86400 boots=3 reset=watchdog sram=531 tries=2"])
@pytest.mark.parametrize("age", AGES)
@pytest.mark.parametrize("camera,counter,length", [
    ("cam-1", 0, 0), ("a" * 32, 2**32 - 1, 4_500_000), ("garden-01", 123456, 59377),
])
def test_the_firmwares_string_to_sign_is_the_protocols(codec_tool, camera, counter, age, length,
                                                       health):
    body_sha256 = hashlib.sha256(camera.encode()).hexdigest()
    firmware = tool(codec_tool, "string-to-sign", upload.METHOD, upload.ROUTE, camera, counter,
                    age, length, body_sha256, health)
    assert firmware == upload.string_to_sign(upload.METHOD, upload.ROUTE, camera, counter, age,
                                             length, body_sha256, health)


@pytest.mark.parametrize("age", AGES)
@pytest.mark.parametrize("camera,counter", [("cam-1", 0), ("a" * 32, 2**32 - 1)])
def test_the_firmwares_authorization_is_the_protocols(codec_tool, camera, counter, age):
    """The same value, byte for byte, up to the longest (a 32-character id, 10-digit counter and
    age), and for an age the service takes, the same credential back."""
    signature = hashlib.sha256(f"{camera}{counter}{age}".encode()).hexdigest()
    firmware = tool_text(codec_tool, "authorization", camera, counter, age, signature)
    assert firmware == upload.credential_value(camera, counter, age, signature)
    if age <= upload.MAX_AGE_S:
        assert upload.parse_authorization(firmware) == upload.CameraCredential(
            camera, counter, age, signature)


def test_the_firmware_signs_the_protocols_route(codec_tool):
    route = subprocess.run([str(codec_tool), "signed-route"], capture_output=True, text=True,
                           timeout=30, check=True).stdout.split()
    assert route == [upload.METHOD, upload.ROUTE]


def test_the_firmware_gives_up_exactly_on_the_protocols_final_refusals(codec_tool):
    statuses = [100, 200, 201, 204, 299, 301, 400, *range(401, 430), 451, 500, 503, 599]
    for status in statuses:
        final = "reject" if answer.final(status) else "retry"
        expected = "stored" if 200 <= status < 300 else final
        assert tool_text(codec_tool, "verdict", status) == expected, status


def tool_text(codec_tool, *args) -> str:
    return subprocess.run([str(codec_tool), *map(str, args)], capture_output=True, text=True,
                          timeout=30, check=True).stdout.strip()


def test_the_firmware_version_is_the_protocols():
    config = (FIRMWARE / "include" / "camera_config.h").read_text()
    assert re.search(r'#define FIRMWARE_VERSION "([^"]+)"', config).group(1) == \
        upload.FIRMWARE_VERSION
