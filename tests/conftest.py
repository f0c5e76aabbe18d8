"""Shared fixtures: the real local stack, JPEGs drawn with Pillow, and the camera's raw POST."""

import io
import random
import socket
from pathlib import Path

import pytest
from PIL import Image

from chalicelib.protocol import upload
from stopmotion.camera import FileSecrets, new_camera_secret
from stopmotion.localstack import LocalStack


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory):
    """`rclone serve s3` + `chalice local` on free 127.0.0.1 ports, for the whole session.

    Tests share it: give each test its own camera id so their frames do not mix.
    Server output goes to <tmp>/stack.log.
    """
    root = tmp_path_factory.mktemp("stack")
    with LocalStack(root / "data", log_file=root / "stack.log") as stack:
        cameras_for(stack)
        yield stack


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
                      path: str = upload.ROUTE, method: str = upload.METHOD) -> str:
        if counter is None:
            counter = self.counters[camera] = self.counters.get(camera, 0) + 1
        return upload.authorization(self.secret(camera), camera, counter, body, path, method)

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


def make_jpeg(
    width: int = 64,
    height: int = 48,
    *,
    progressive: bool = False,
    thumbnail: bool = False,
    seed: int = 0,
    quality: int = 85,
) -> bytes:
    """A JPEG of noisy blocks (so it has real entropy data), optionally with an EXIF thumbnail.

    The thumbnail is a complete JPEG, EOI included, inside the APP1 segment.
    """
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height))
    for x in range(0, width, 8):
        for y in range(0, height, 8):
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            image.paste(colour, (x, y, x + 8, y + 8))
    out = io.BytesIO()
    options: dict = {"quality": quality, "progressive": progressive}
    if thumbnail:
        thumb = io.BytesIO()
        image.resize((max(width // 4, 8), max(height // 4, 8))).save(thumb, "JPEG", quality=70)
        exif = Image.Exif()
        exif[0x010F] = "stopmotion test"  # Make
        options["exif"] = _exif_with_thumbnail(exif.tobytes(), thumb.getvalue())
    image.save(out, "JPEG", **options)
    return out.getvalue()


def _exif_with_thumbnail(exif: bytes, thumb: bytes) -> bytes:
    """EXIF with an IFD1 that points at thumb, a complete JPEG stored after it."""
    # Pillow writes "Exif\0\0", a TIFF header and IFD0 whose next-IFD link is 0; add IFD1.
    tiff = bytearray(exif[6:])
    order = "little" if tiff[:2] == b"II" else "big"

    def num(value: int, size: int) -> bytes:
        return value.to_bytes(size, order)

    ifd0 = int.from_bytes(tiff[4:8], order)
    link = ifd0 + 2 + 12 * int.from_bytes(tiff[ifd0 : ifd0 + 2], order)
    tiff += b"\0" * (len(tiff) & 1)
    ifd1 = len(tiff)
    tiff[link : link + 4] = num(ifd1, 4)
    thumb_at = ifd1 + 2 + 2 * 12 + 4
    tiff += num(2, 2)
    tiff += num(0x0201, 2) + num(4, 2) + num(1, 4) + num(thumb_at, 4)  # JPEGInterchangeFormat
    tiff += num(0x0202, 2) + num(4, 2) + num(1, 4) + num(len(thumb), 4)  # ...FormatLength
    tiff += num(0, 4) + thumb
    return b"Exif\0\0" + bytes(tiff)


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
) -> tuple[int, dict[str, str], bytes]:
    """POSTs body exactly as the firmware does (upload.request_head): raw HTTP/1.1,
    Content-Length, Connection: close, signed for camera (next counter unless given) when the
    stack is known and camera is not None. Returns (status, headers with lower-case names, body)."""
    host, port = api_url.removeprefix("http://").split(":")
    authorization = None
    if camera is not None and sign and api_url in _CAMERAS:
        signer, route = _CAMERAS[api_url], path.split("?")[0]
        authorization = signer.authorization(camera, body, counter, route)
    head = upload.request_head(host, path, len(body), authorization,
                               upload.USER_AGENT_PREFIX + "test", content_type)
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
