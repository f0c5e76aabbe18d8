"""`stopmotion post`: a virtual camera that sends a JPEG the way the firmware does, byte for byte.

Raw HTTP/1.1 over a socket (no HTTP library): the protocol's request head
(chalicelib/protocol/upload.py), Content-Length, no chunking; then it prints the answer and, like
the camera, trusts it only when its Stopmotion-Answer verifies with the camera's secret for this
request (chalicelib/protocol/answer.py): anything else is "answer not from the service", a 2xx
included; a verified answer also says when the camera's next capture is (its schedule, from the
answer's Time and Next). `--hello` sends what the camera sends at boot instead: no frame, only
the question when to capture. Like the firmware it reports its health (Stopmotion-Health, signed):
its firmware version and the attempt, unless --health says otherwise. Options reproduce what the
old camera module revisions put on the wire, to test the service's repairs.
"""

import argparse
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from chalicelib.protocol import answer, keys, upload
from chalicelib.protocol.errors import MalformedHealth, UnsignedAnswer
from stopmotion import camera as camera_secrets
from stopmotion import localstack

FIFO_PAD = 0x00  # what the FIFO holds past the end of the image on the modules we know


def camera_body(jpeg: bytes, dummy_byte: bool = False, drop_ff: bool = False,
                pad: int = 0) -> bytes:
    """The body an old module revision sends: a dummy byte first, the leading 0xFF lost, padding."""
    body = jpeg[1:] if drop_ff else jpeg
    if dummy_byte:
        body = b"\x00" + body
    return body + bytes([FIFO_PAD]) * pad


def stand_in_health(version: str = upload.FIRMWARE_VERSION) -> str:
    """The health this stand-in camera reports by default: what it knows (its firmware version,
    one attempt); ValueError for a version the health header cannot carry."""
    return upload.health_value({"fw": version, "tries": 1})


def build_request(url: str, body: bytes, version: str = upload.FIRMWARE_VERSION,
                  authorization: str | None = None, health: str | None = None) -> bytes:
    """The exact bytes the firmware sends for one frame (b"": a hello) to url; with
    authorization, signed as the firmware signs (stopmotion.camera.sign_as_camera), and with this
    Stopmotion-Health value (None: no header). ValueError for a value that would not be one
    header line."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port and parts.port != 80:
        host = f"{host}:{parts.port}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    user_agent = upload.USER_AGENT_PREFIX + version
    return upload.request_head(host, path, len(body), authorization, user_agent,
                               health=health) + body


def send(url: str, request: bytes, timeout: float = 30.0) -> tuple[int, bytes]:
    """Sends `request` to the URL's host and port; returns the status code and the raw answer."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise ValueError(f"{url}: the camera speaks plain http:// only")
    with socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    raw = b"".join(chunks)
    status_line = raw.split(b"\r\n", 1)[0].split()
    if len(status_line) < 2 or not status_line[1].isdigit():
        raise ConnectionError(f"not an HTTP answer: {raw[:80]!r}")
    return int(status_line[1]), raw


def answer_header(raw: bytes) -> str | None:
    """The Stopmotion-Answer value in a raw HTTP answer; None when absent or sent more than once."""
    lines = raw.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]
    fields = [line.partition(b":") for line in lines]
    values = [value.strip() for name, _, value in fields
              if name.strip().lower() == answer.HEADER.lower().encode()]
    return values[0].decode("latin-1") if len(values) == 1 else None


def verdict(status: int, raw: bytes, secret: bytes, camera: str, counter: int) -> tuple[bool, str]:
    """(stored, what the camera makes of the answer): it acts only on an answer the service signed
    for this request, with the status it came with."""
    try:
        signed = answer.verify_answer(secret, camera, answer_header(raw), counter, status)
    except UnsignedAnswer as error:
        return False, (f"answer not from the service ({error}): nothing is known to be stored; "
                       "the camera would send the frame again")
    said = (f"the service answered {signed.status} to counter {counter} "
            f"at {keys.iso(signed.received)}")
    capture = datetime.fromtimestamp(signed.time + signed.next_s, UTC)
    then = f"; next capture at {keys.iso(capture)} (in {signed.next_s} s)"
    if 200 <= signed.status < 300 and signed.key is None:
        return True, f"{said}: hello answered{then}"
    if 200 <= signed.status < 300:
        return True, f"{said}: stored {signed.key} (sha256 {signed.sha256}){then}"
    if answer.final(signed.status):
        return False, f"{said}: refused for good, the camera gives this frame up{then}"
    return False, f"{said}: the camera would send the frame again{then}"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("post", help="send a JPEG as the camera does",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("jpeg", type=Path, nargs="?", help="the JPEG file to send")
    parser.add_argument("--hello", action="store_true",
                        help="send the camera's boot request instead of a frame (no body): the "
                        "service answers when to capture next")
    parser.add_argument("--health", metavar="VALUE",
                        help="the Stopmotion-Health value to report, e.g. 'fw=0.3.0 up=3600 "
                        "sram=612' (default: 'fw=<firmware version> tries=1'; '' sends none)")
    parser.add_argument("--url", help="where the camera posts (default: the running `make run`)")
    parser.add_argument("--camera", help="camera id to sign as "
                        f"(default: make run's demo camera; with --url, {keys.DEFAULT_CAMERA})")
    parser.add_argument("--firmware-version", default=upload.FIRMWARE_VERSION,
                        help="in the User-Agent")
    parser.add_argument("--dummy-byte", action="store_true",
                        help="send a junk byte before the image (FIFO dummy byte revisions)")
    parser.add_argument("--drop-ff", action="store_true",
                        help="leave out the leading 0xFF (the old sketch's off-by-one)")
    parser.add_argument("--pad", type=int, default=0, metavar="N",
                        help="append N bytes of FIFO padding after the end of image")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    parser.add_argument("--secrets-file", type=Path,
                        help="sign with its secret in this file (default: var/secrets.json)")
    parser.add_argument("--stack-file", type=Path, default=localstack.DEFAULT_STATE_FILE,
                        help="how to reach the running `make run` (default: var/stack.json)")
    parser.add_argument("--secret", metavar="HEX", help="sign with this secret (64 hex digits)")
    parser.add_argument("--counter", type=int, help="the freshness counter (default: the next one)")
    parser.add_argument("--age", type=int, default=0, metavar="SECONDS",
                        help="how long ago the frame was captured, as a camera that kept it "
                        "sends it (default 0); the service dates the frame by it")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    if args.hello == (args.jpeg is not None):
        sys.exit("post: give a JPEG to send, or --hello (then no JPEG)")
    try:
        jpeg = b"" if args.hello else args.jpeg.read_bytes()
    except OSError as error:
        sys.exit(f"post: {error}")
    if not (args.hello or jpeg):
        sys.exit(f"post: {args.jpeg} is empty: an empty body is the camera's hello (--hello)")
    if args.hello and (args.dummy_byte or args.drop_ff or args.pad or args.age):
        sys.exit("post: --hello sends no frame: no --dummy-byte, --drop-ff, --pad or --age")
    health = args.health or None
    if args.health is None:
        try:
            health = stand_in_health(args.firmware_version)
        except ValueError:
            sys.exit(f"post: --firmware-version {args.firmware_version!r} cannot be the health's "
                     "fw= value (A-Z a-z 0-9 . -, 1-16 characters): choose another, or give "
                     "--health")
    try:
        upload.parse_health(health)
    except MalformedHealth as error:
        sys.exit(f"post: --health: {error}")
    if args.pad < 0:
        sys.exit("post: --pad must not be negative")
    if not 0 <= args.age <= upload.MAX_AGE_S:
        sys.exit(f"post: --age must be 0 to {upload.MAX_AGE_S} seconds "
                 f"({upload.MAX_AGE_S // 86400} days)")
    if args.url is None:  # to the running local stack, as its demo camera
        stack = localstack.running_stack(args.stack_file)
        if stack is None:
            sys.exit(f"post: no `make run` is running ({args.stack_file} names none): start it, "
                     "or say where to post with --url")
        args.url = f"{stack['api_url']}{upload.ROUTE}"
        args.camera = args.camera or stack["camera"]
        args.secrets_file = args.secrets_file or Path(stack["secrets_file"])
    args.camera = args.camera or keys.DEFAULT_CAMERA
    args.secrets_file = args.secrets_file or camera_secrets.DEFAULT_FILE
    body = camera_body(jpeg, args.dummy_byte, args.drop_ff, args.pad) if jpeg else b""
    try:
        secret = camera_secrets.camera_secret(args.camera, args.secrets_file, args.secret)
        authorization = camera_secrets.sign_as_camera(
            args.camera, body, args.secrets_file, args.secret, args.counter, args.age, health)
        if authorization is None:
            print(f"post: no secret for camera {args.camera!r} in {args.secrets_file}: sending "
                  "unsigned (`stopmotion camera add` makes one)", file=sys.stderr)
        request = build_request(args.url, body, args.firmware_version, authorization, health)
        status, raw = send(args.url, request, args.timeout)
    except (OSError, ValueError) as error:
        sys.exit(f"post: {args.url}: {error}")
    sys.stdout.write(raw.decode("utf-8", errors="replace") + "\n")
    if authorization is None:
        print("post: sent unsigned, so the answer cannot be told from one not from the service",
              file=sys.stderr)
        return 1
    counter = upload.parse_authorization(authorization).counter
    stored, message = verdict(status, raw, secret, args.camera, counter)
    print(f"post: {message}", file=sys.stderr)
    return 0 if stored else 1
