"""An HTTP fault-injection proxy on loopback, between the edge's sender and the cloud.

Relays requests unchanged (the Host header too, so S3 signatures stay valid) and, as the
test's FaultPlan says: answers 500 without forwarding, forwards and then answers 500 (the
cloud acted but the answer is lost), resets the connection, stalls past the client's
timeout, delivers a request twice (the client sees the second answer), throttles request
bodies, or is down altogether (connection refused).
"""

from __future__ import annotations

import contextlib
import http.client
import random
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from keystone_dev.seaweed import free_port

HOP_HEADERS = {"connection", "keep-alive", "expect", "transfer-encoding", "proxy-connection"}


@dataclass
class FaultPlan:
    p_500: float = 0.0  # 500 without forwarding
    p_500_after: float = 0.0  # forwarded, then 500: the answer is lost
    p_reset: float = 0.0
    p_timeout: float = 0.0
    p_duplicate: float = 0.0  # POSTs only: delivered twice
    timeout_s: float = 2.5
    throttle_bps: int = 0  # request bodies, read at this rate; 0 = unlimited
    seed: int = 7
    seen: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def off(self) -> None:
        self.p_500 = self.p_500_after = self.p_reset = self.p_timeout = self.p_duplicate = 0.0

    def pick(self, method: str) -> str:
        with self._lock:
            roll = self._rng.random()
            for name, p in (
                ("500", self.p_500),
                ("500_after", self.p_500_after),
                ("reset", self.p_reset),
                ("timeout", self.p_timeout),
                ("duplicate", self.p_duplicate if method == "POST" else 0.0),
            ):
                if roll < p:
                    self.seen[name] += 1
                    return name
                roll -= p
            self.seen["ok"] += 1
            return "ok"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._relay()

    do_PUT = do_POST = do_HEAD = do_DELETE = do_GET

    def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        host, port = self.server.upstream
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in HOP_HEADERS:
                    conn.putheader(name, value)
            conn.endheaders()
            conn.send(body)
            response = conn.getresponse()
            data = response.read()
            return response.status, response.reason, response.getheaders(), data
        finally:
            conn.close()

    def _read_body(self, length: int) -> bytes:
        """The request body; throttled here, on the client's side, so the client sees a
        slow but steady upload (never a stall that would trip its timeout)."""
        bps, step, chunks = self.server.plan.throttle_bps, 64 * 1024, []
        while length > 0:
            chunk = self.rfile.read(min(step, length))
            if not chunk:
                break
            chunks.append(chunk)
            length -= len(chunk)
            if bps:
                time.sleep(len(chunk) / bps)
        return b"".join(chunks)

    def _relay(self) -> None:
        body = self._read_body(int(self.headers.get("Content-Length") or 0))
        fault = self.server.plan.pick(self.command)
        if fault == "reset":
            # Linger 0: close() sends RST, so the client sees "connection reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if fault == "timeout":
            time.sleep(self.server.plan.timeout_s)
            self.close_connection = True
            return
        if fault == "500":
            return self._answer(500, "Internal Server Error", [], b"injected fault")
        answer = self._forward(body)
        if fault == "duplicate":
            answer = self._forward(body)
        if fault == "500_after":
            return self._answer(500, "Internal Server Error", [], b"injected fault (after)")
        self._answer(*answer)

    def _answer(
        self, status: int, reason: str, headers: list[tuple[str, str]], data: bytes
    ) -> None:
        self.send_response_only(status, reason)
        for name, value in headers:
            if name.lower() not in HOP_HEADERS and name.lower() != "content-length":
                self.send_header(name, value)
        if self.command == "HEAD":
            length = dict((k.lower(), v) for k, v in headers).get("content-length", "0")
            self.send_header("Content-Length", length)
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, upstream: tuple[str, int], plan: FaultPlan) -> None:
        self.upstream = upstream
        self.plan = plan
        self.connections: set[socket.socket] = set()
        super().__init__(("127.0.0.1", port), _Handler)

    def process_request(self, request, client_address):  # type: ignore[no-untyped-def]
        self.connections.add(request)
        super().process_request(request, client_address)

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        pass  # clients that time out or are reset on purpose: not worth a traceback

    def shutdown_request(self, request):  # type: ignore[no-untyped-def]
        self.connections.discard(request)
        super().shutdown_request(request)


class FaultProxy:
    def __init__(self, upstream_url: str, plan: FaultPlan | None = None) -> None:
        parts = urlsplit(upstream_url)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.plan = plan or FaultPlan()
        self.port = free_port()
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._server = _Server(self.port, self.upstream, self.plan)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: refuse new connections and cut the open ones (a full outage)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        for conn in list(server.connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
