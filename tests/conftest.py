"""Shared fixtures: the real local stack, JPEGs drawn with Pillow, and the camera's raw POST."""

import socket
from pathlib import Path

import pytest

from chalicelib.protocol import upload
from stopmotion.camera import FileSecrets, new_camera_secret
from stopmotion.localstack import LocalStack


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory):
    """`rclone serve s3` + `chalice local` on free 127.0.0.1 ports, for the whole session.

    Tests share it: give each test its own camera id so their frames do not mix.
    Server output goes to <tmp>/stack.log. A test that moves the service's clock uses
    `stack_clock`, which puts it back.
    """
    root = tmp_path_factory.mktemp("stack")
    with LocalStack(root / "data", log_file=root / "stack.log") as stack:
        cameras_for(stack)
        yield stack


@pytest.fixture
def stack_clock(local_stack):
    """local_stack.set_clock (offset seconds ahead of this machine's clock) for one test; the
    service's clock is back on this machine's time after it."""
    yield local_stack.set_clock
    local_stack.set_clock(0)


@pytest.fixture
def frozen_server():
    """http://127.0.0.1:<port> of a server that accepts connections and never answers (the
    kernel completes the handshake for a listening socket nobody reads): S3 or SSM frozen."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


class SignedCameras:
    """Signs as cameras do: each camera id gets a secret in the stack's secrets file on first use
    (the service rereads the file when it changes) and a counter that rises by one per request."""

    def __init__(self, secrets_file: Path):
        self.store = FileSecrets(secrets_file)
        self.counters: dict[str, int] = {}

    def secret(self, camera: str) -> bytes:
        if camera not in self.store.load()["cameras"]:
            self.store.set_camera(camera, new_camera_secret(), replace=False)
        return bytes.fromhex(self.store.load()["cameras"][camera])

    def authorization(self, camera: str, body: bytes, counter: int | None = None,
                      path: str = upload.ROUTE, method: str = upload.METHOD, age: int = 0,
                      health: str | None = None) -> str:
        if counter is None:
            counter = self.counters[camera] = self.counters.get(camera, 0) + 1
        return upload.authorization(self.secret(camera), camera, counter, body, path, method, age,
                                    health)

    def viewer(self) -> dict[str, str]:
        """Headers that carry the viewer token."""
        return {"Authorization": f"Bearer {self.store.load()['viewer']}"}


_CAMERAS: dict[str, SignedCameras] = {}  # api_url -> the cameras of that local stack


def cameras_for(stack: LocalStack) -> SignedCameras:
    """The test cameras of a local stack (camera_post signs with them for its api_url)."""
    known = _CAMERAS.get(stack.api_url)
    if known is None or known.store.path != stack.secrets_file:  # a port reused by a new stack
        known = _CAMERAS[stack.api_url] = SignedCameras(stack.secrets_file)
    return known


@pytest.fixture(scope="session")
def cameras(local_stack) -> SignedCameras:
    return cameras_for(local_stack)


def camera_post(
    api_url: str,
    body: bytes,
    *,
    camera: str | None = "test-cam",
    path: str = upload.ROUTE,
    content_type: str = "image/jpeg",
    timeout: float = 30.0,
    counter: int | None = None,
    sign: bool = True,
    age: int = 0,
    health: str | None = None,
    signed_health: str | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """POSTs body exactly as the firmware does (upload.request_head): raw HTTP/1.1,
    Content-Length, Connection: close, signed for camera (next counter unless given; captured age
    seconds ago; with this Stopmotion-Health, signed as signed_health when given) when the stack
    is known and camera is not None. An empty body is a hello. Returns (status, headers with
    lower-case names, body)."""
    host, port = api_url.removeprefix("http://").split(":")
    authorization = None
    if camera is not None and sign and api_url in _CAMERAS:
        signer, route = _CAMERAS[api_url], path.split("?")[0]
        authorization = signer.authorization(
            camera, body, counter, route, age=age,
            health=health if signed_health is None else signed_health)
    head = upload.request_head(host, path, len(body), authorization,
                               upload.USER_AGENT_PREFIX + "test", content_type, health)
    request = head + body
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    header_block, _, payload = response.partition(b"\r\n\r\n")
    status_line, *lines = header_block.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, payload


@pytest.fixture
def sample_frame() -> bytes:
    """The JPEG that ships in samples/ (the one README's curl line posts)."""
    return (Path(__file__).parent.parent / "samples" / "frame.jpg").read_bytes()
