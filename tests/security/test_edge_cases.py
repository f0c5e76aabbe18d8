"""Hostile HTTP against the real `chalice local`: oversized headers, a Content-Length that lies,
repeated headers, wrong methods, traversal in the camera id. Never a 5xx, nothing stored, and the
server keeps answering."""

import json
import socket

import pytest

from chalicelib.protocol import fleet, upload
from simboard.frames import blocks_jpeg

FRAME = blocks_jpeg(24, 16, seed=11)


def raw(stack, head_lines, body=b"", shut_write=False, timeout=15.0):
    """Sends the request as given (no fixing up); returns (status, json body or None)."""
    request = ("\r\n".join(head_lines) + "\r\n\r\n").encode("latin-1") + body
    with socket.create_connection(("127.0.0.1", stack.api_port), timeout=timeout) as sock:
        sock.sendall(request)
        if shut_write:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    head, _, payload = answer.partition(b"\r\n\r\n")
    status = int(head.split()[1]) if head.startswith(b"HTTP/") else 0
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, None


def post_head(length, *extra, request_line=None):
    """The camera's request head (upload.request_head) as lines, unsigned; `extra` lines go
    before Connection, repeats included; request_line replaces the first."""
    user_agent = upload.USER_AGENT_PREFIX + upload.FIRMWARE_VERSION
    head = upload.request_head("127.0.0.1", upload.ROUTE, length, None, user_agent)
    *lines, connection = head.decode("ascii").removesuffix("\r\n\r\n").split("\r\n")
    return [request_line or lines[0], *lines[1:], *extra, connection]


def stored(stack, camera):
    listing = stack.s3_client().list_objects_v2(Bucket=stack.bucket, Prefix=f"frames/{camera}/")
    return [item["Key"] for item in listing.get("Contents", [])]


@pytest.fixture(autouse=True)
def still_serving(local_stack):
    """After each hostile request the server still answers a plain one."""
    yield
    with socket.create_connection(("127.0.0.1", local_stack.api_port), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert b" 200 " in sock.recv(100).split(b"\r\n")[0] + b" "


@pytest.mark.parametrize("size, status", [(300, 401), (8_000, 401), (70_000, 431)])
def test_oversized_authorization_header(local_stack, cameras, size, status):
    """A camera's valid credential with junk after it is refused whole and stores nothing; the
    same request without the junk then stores exactly one frame (so the listing can see it)."""
    camera = f"edge-oversized-{size}"
    good = cameras.authorization(camera, FRAME)
    got, body = raw(local_stack, post_head(len(FRAME), f"Authorization: {good}, {'A' * size}"),
                    FRAME)
    assert got == status, body  # 431: http.server (chalice local) refuses a 64 KB header line
    if status == 401:
        assert body["Code"] == "MalformedCredential"
    assert stored(local_stack, camera) == []
    status, body = raw(local_stack, post_head(len(FRAME), f"Authorization: {good}"), FRAME)
    assert status == 201, body
    assert stored(local_stack, camera) == [body["key"]]


@pytest.mark.parametrize("junk, status", [(90, 201), (200, 431)])
def test_very_many_headers(local_stack, cameras, junk, status):
    """`chalice local`'s http.server answers 431 to more than 100 header lines before the app
    runs; up to that the request is an ordinary upload (the camera sends six lines)."""
    camera = f"edge-many-{junk}"
    extra = [f"X-Junk-{i}: {i}" for i in range(junk)]
    got, body = raw(
        local_stack,
        post_head(len(FRAME), *extra, "Authorization: " + cameras.authorization(camera, FRAME)),
        FRAME,
    )
    assert got == status, body
    assert len(stored(local_stack, camera)) == (status == 201)


def test_content_length_longer_than_the_body(local_stack, cameras):
    """The camera declared (and signed) more bytes than arrived: refused, nothing stored."""
    authorization = cameras.authorization("edge-short", FRAME)
    status, body = raw(
        local_stack,
        post_head(len(FRAME), f"Authorization: {authorization}"),
        FRAME[:-40],
        shut_write=True,
    )
    assert status in (400, 403), (status, body)
    assert stored(local_stack, "edge-short") == []


def test_content_length_shorter_than_the_body(local_stack, cameras):
    """Bytes beyond Content-Length are not part of the frame (and not a second request)."""
    authorization = cameras.authorization("edge-long", FRAME)
    status, body = raw(
        local_stack, post_head(len(FRAME) - 40, f"Authorization: {authorization}"), FRAME
    )
    assert status in (400, 403), (status, body)
    assert stored(local_stack, "edge-long") == []


def test_a_signature_over_the_declared_length_is_checked_against_what_arrived(local_stack, cameras):
    secret = cameras.secret("edge-lie")
    cut = FRAME[:-40]
    lying = upload.authorization(secret, "edge-lie", 1, FRAME)  # signs the full frame
    status, _ = raw(local_stack, post_head(len(cut), f"Authorization: {lying}"), cut)
    assert status == 403
    assert stored(local_stack, "edge-lie") == []


def test_a_chunked_upload_is_told_to_send_a_content_length(local_stack, cameras):
    """chalice local reads no body without a Content-Length (API Gateway wants one too): the
    client hears that, not a 403 for a signature over the empty body it was handed."""
    authorization = cameras.authorization("edge-chunked", FRAME)
    head = [line for line in post_head(len(FRAME), f"Authorization: {authorization}")
            if not line.startswith("Content-Length")]
    head.insert(-1, "Transfer-Encoding: chunked")
    chunked = f"{len(FRAME):x}\r\n".encode() + FRAME + b"\r\n0\r\n\r\n"
    status, body = raw(local_stack, head, chunked)
    assert (status, body["Code"]) == (411, "LengthRequired"), (status, body)
    assert "Content-Length" in body["Message"]
    assert stored(local_stack, "edge-chunked") == []


def test_repeated_authorization_header(local_stack, cameras):
    good = cameras.authorization("edge-twice", FRAME)
    for pair in ([good, "Bearer nonsense"], ["Bearer nonsense", good], [good, good]):
        status, body = raw(
            local_stack, post_head(len(FRAME), *(f"Authorization: {v}" for v in pair)), FRAME
        )
        assert status < 500, (pair, status, body)
    assert len(stored(local_stack, "edge-twice")) <= 1  # one counter: at most one frame


def test_repeated_content_length(local_stack, cameras):
    authorization = cameras.authorization("edge-cl", FRAME)
    head = post_head(len(FRAME), "Content-Length: 5", f"Authorization: {authorization}")
    status, _ = raw(local_stack, head, FRAME)
    assert status < 500
    assert len(stored(local_stack, "edge-cl")) <= 1


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_wrong_method(local_stack, cameras, method):
    authorization = cameras.authorization("edge-method", FRAME, method=method)
    head = post_head(
        len(FRAME), f"Authorization: {authorization}", request_line=f"{method} /frames HTTP/1.1"
    )
    status, body = raw(local_stack, head, FRAME)
    assert status == 405, (status, body)
    assert stored(local_stack, "edge-method") == []


def test_a_camera_credential_on_a_read_is_forbidden(local_stack, cameras):
    authorization = cameras.authorization("edge-read", b"", method="GET")
    status, body = raw(
        local_stack,
        ["GET /frames HTTP/1.1", "Host: x", f"Authorization: {authorization}", "Connection: close"],
    )
    assert (status, body["Code"]) == (403, "Forbidden")


@pytest.mark.parametrize("camera", ["../evil", "..%2Fevil", "a/../../b", "%2e%2e", "a b", "a\tb"])
def test_traversal_in_the_signed_camera_id(local_stack, camera):
    header = f"SM1-HMAC-SHA256 Camera={camera}, Counter=1, Age=0, Signature={'0' * 64}"
    status, body = raw(local_stack, post_head(len(FRAME), f"Authorization: {header}"), FRAME)
    assert status == 401 and body["Code"] == "MalformedCredential", (status, body)


@pytest.mark.parametrize(
    "query", ["camera=../evil", "camera=..%2Fevil", "camera=%2e%2e%2fx", "camera=a%00b"]
)
def test_traversal_in_the_camera_filter(local_stack, cameras, query):
    status, body = raw(
        local_stack,
        [
            f"GET /frames?{query} HTTP/1.1",
            "Host: x",
            f"Authorization: {cameras.viewer()['Authorization']}",
            "Connection: close",
        ],
    )
    assert status == 400, (status, body)


@pytest.mark.parametrize(
    "path",
    [
        "/frames/../health",
        "/frames/..%2Fhealth",
        "//frames",
        "/frames/%2e%2e/frames",
        "/frames/../../claims",
    ],
)
def test_traversal_in_the_path(local_stack, cameras, path):
    """A path either routes to /frames (a normal signed upload of this camera) or to nothing."""
    authorization = cameras.authorization("edge-path", FRAME)
    head = post_head(
        len(FRAME), f"Authorization: {authorization}", request_line=f"POST {path} HTTP/1.1"
    )
    status, _ = raw(local_stack, head, FRAME)
    assert status < 500, status
    listing = local_stack.s3_client().list_objects_v2(Bucket=local_stack.bucket)
    outside = [
        item["Key"]
        for item in listing.get("Contents", [])
        if not item["Key"].startswith(("frames/", "claims/", fleet.PREFIX))
    ]
    assert outside == []
    if status == 201:
        assert stored(local_stack, "edge-path")


def test_an_x_camera_id_with_traversal_is_ignored(local_stack, cameras):
    authorization = cameras.authorization("edge-xcam", FRAME)
    status, body = raw(
        local_stack,
        post_head(len(FRAME), "X-Camera-Id: ../../etc", f"Authorization: {authorization}"),
        FRAME,
    )
    assert status == 201 and body["key"].startswith("frames/edge-xcam/")
