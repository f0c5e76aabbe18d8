"""The camera's side of the protocol, produced by the firmware's own code (built for the host,
tests/firmware/codec_tool.cpp), against the service's protocol package (chalicelib/protocol):
the upload's head, the string to sign and the Authorization (the frame's age among them), the
route it signs, and the firmware version."""

from __future__ import annotations

import hashlib
import re
import subprocess

import pytest

from chalicelib.protocol import answer, upload

from .hostbuild import FIRMWARE


def tool(codec_tool, *args) -> bytes:
    out = subprocess.run([str(codec_tool), *map(str, args)], capture_output=True, text=True,
                         timeout=30, check=True).stdout.strip()
    return bytes.fromhex(out)


SIGNED = upload.authorization(bytes(range(32)), "garden-01", 4242, b"\xff\xd8 frame \xff\xd9",
                              age=86400)
# Ages: just taken, a second, a day, the oldest the service takes, and the most 32 bits hold.
AGES = [0, 1, 86_400, upload.MAX_AGE_S, 2**32 - 1]


@pytest.mark.parametrize("host,port,path,length,credential", [
    ("d111.cloudfront.net", 80, "/frames", 123456, SIGNED),
    ("frames.example.org", 8080, "/api/frames", 0, SIGNED),  # a stage prefix, another port
    ("d111.cloudfront.net", 80, "/frames", 4294967295, None),  # unsigned: no Authorization
])
def test_the_firmwares_head_is_the_protocols(codec_tool, host, port, path, length, credential):
    user_agent = upload.USER_AGENT_PREFIX + upload.FIRMWARE_VERSION
    firmware = tool(codec_tool, "post-head", host, port, path, user_agent, length,
                    credential or "-")
    host_header = host if port == 80 else f"{host}:{port}"
    assert firmware == upload.request_head(host_header, path, length, credential, user_agent)


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
