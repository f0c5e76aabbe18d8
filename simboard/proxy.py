"""A small HTTP fault proxy on 127.0.0.1 in front of `chalice local`.

Each request is recorded (request line, headers, body bytes seen, status returned). Requests
listed in `canned` (0-based index -> status) are read in full and answered by the proxy itself;
all others are streamed to the upstream as they arrive, and a client that resets mid-body makes
the proxy reset the upstream connection too, so the service sees the same truncated request.
The upstream's answers reach the client through `rewrite` (bytes -> bytes): a middlebox that alters
them.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

IO_TIMEOUT_S = 60  # a stuck peer ends its connection thread instead of keeping it forever


@dataclass
class Request:
    head: bytes = b""
    body_bytes: int = 0
    content_length: int = -1
    status: int | None = None
    complete: bool = False
    # wall clock (time.monotonic) for the bench: the body's last byte in, the answer passed on
    body_done_at: float | None = None
    answered_at: float | None = None

    def header(self, name: str) -> str | None:
        for line in self.head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == name.lower().encode():
                return value.strip().decode("latin-1")
        return None


@dataclass
class FaultProxy:
    upstream_port: int
    canned: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)
    rewrite: Callable[[bytes], bytes] = bytes

    def __enter__(self) -> FaultProxy:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        # shutdown() wakes the thread blocked in accept(); close() alone would leave it waiting on
        # a descriptor number the next proxy may reuse, and it would steal that proxy's clients.
        try:
            self._server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._server.close()
        self._thread.join(5)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                index = len(self.requests)
                self.requests.append(Request())
            threading.Thread(target=self._serve, args=(client, index), daemon=True).start()

    def _serve(self, client: socket.socket, index: int) -> None:
        record = self.requests[index]
        upstream = None
        client.settimeout(IO_TIMEOUT_S)
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = client.recv(4096)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            record.head = head
            record.content_length = int(record.header("Content-Length") or 0)
            status = self.canned.get(index)
            if status is None:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), IO_TIMEOUT_S)
                upstream.sendall(head + b"\r\n\r\n")
            record.body_bytes = len(body)
            if upstream:
                upstream.sendall(body)
            while record.body_bytes < record.content_length:
                chunk = client.recv(65536)
                if not chunk:
                    raise ConnectionResetError("client closed mid-body")
                record.body_bytes += len(chunk)
                if upstream:
                    upstream.sendall(chunk)
            record.complete = True
            record.body_done_at = time.monotonic()
            if upstream is None:
                text = b'{"error": "injected by the fault proxy"}'
                client.sendall(
                    b"HTTP/1.1 %d Injected\r\nContent-Type: application/json\r\n"
                    b"Retry-After: 1\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                    % (status, len(text))
                    + text
                )
                record.status = status
                return
            response = b""
            while chunk := upstream.recv(65536):
                response += chunk
            record.status = (
                int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else None
            )
            record.answered_at = time.monotonic()
            client.sendall(self.rewrite(response))
        except OSError:
            if upstream is not None:  # pass the reset on: the service sees a truncated body
                upstream.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        finally:
            if upstream is not None:
                upstream.close()
            client.close()
