"""The header-read timeout (keystone_api/http_protocol.py), on real servers over raw sockets.

A real `keystone api` process closes 100 half-open requests (and silent connections) once
KEYSTONE_HEADER_TIMEOUT_S has passed, serving normal requests meanwhile; uvicorn alone held
them for as long as the client wished. Then both protocol classes (httptools, which
uvicorn's "auto" picks here, and h11) are shown to leave alone what must not be cut: slow
bodies, WebSockets, idle keep-alive (uvicorn's timeout_keep_alive closes those) and long
streaming responses. Nothing here times the server: each test waits past a deadline, then
looks at what the server did."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from websockets.sync.client import connect

from keystone_api.http_protocol import (
    HTTP_PROTOCOL,
    HeaderTimeoutH11Protocol,
    HeaderTimeoutHttpToolsProtocol,
)
from tests.support.live import serve_app
from tests.support.processes import keystone_api_process

# Servers of their own, and waits for their deadlines to pass.
pytestmark = pytest.mark.slow

PARTIAL = b"GET /healthz HTTP/1.1\r\nHost: edge\r\nUser-Agent: half"
WAIT_S = 30  # how long a test waits for the server to act (far beyond any deadline)


def _open(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=WAIT_S)
    sock.settimeout(WAIT_S)
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    """True once the server closes (EOF or reset); False if it is still open at WAIT_S."""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def _response(sock: socket.socket) -> tuple[int, bytes]:
    """Status and body of one Content-Length or chunked response."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        assert chunk, f"closed before a response: {buf!r}"
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(b":", 1) for h in lines[1:])}
    if b"content-length" in headers:
        while len(rest) < int(headers[b"content-length"]):
            rest += sock.recv(65536)
        return int(lines[0].split()[1]), rest
    while not rest.endswith(b"0\r\n\r\n"):
        chunk = sock.recv(65536)
        assert chunk, "closed in the middle of a chunked body"
        rest += chunk
    return int(lines[0].split()[1]), rest


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: edge\r\n\r\n".encode()


def test_keystone_api_closes_half_open_requests_and_serves_the_rest(s3_server: Any) -> None:
    env = {"KEYSTONE_HEADER_TIMEOUT_S": "2"}
    with keystone_api_process(env) as base:
        partial = [_open(base) for _ in range(100)]
        for sock in partial:
            sock.sendall(PARTIAL)
        silent = [_open(base) for _ in range(20)]
        late = _open(base)
        late.sendall(PARTIAL)
        normal = _open(base)
        normal.sendall(_get("/healthz"))
        assert _response(normal)[0] == 200
        late.sendall(b"\r\n\r\n")  # its headers complete well within the 2 s
        assert _response(late)[0] == 200
        held = [s for s in partial + silent if not _closed_by_server(s)]
        assert not held, f"{len(held)} of 120 half-open connections still held after {WAIT_S} s"
        fresh = _open(base)  # the server still serves after closing them
        fresh.sendall(_get("/healthz"))
        assert _response(fresh)[0] == 200
        for sock in [*partial, *silent, late, normal, fresh]:
            sock.close()


def test_keystone_api_and_the_live_test_servers_use_the_same_protocol(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`keystone api`/`keystone gateway` (api_cmd._run) serve with HTTP_PROTOCOL, and so
    does serve_app (every live test server), timeout read from the same setting."""
    import uvicorn

    from keystone_api.settings import get_settings
    from keystone_dev.cli.api_cmd import _run

    seen: list[Any] = []
    with monkeypatch.context() as patched:  # the configuration _run serves, not a server
        patched.setattr(uvicorn.Server, "run", lambda self, *a, **k: seen.append(self.config))
        _run("127.0.0.1", 0, 1, None, None)
    assert seen[0].http is HTTP_PROTOCOL is HeaderTimeoutHttpToolsProtocol

    monkeypatch.setenv("KEYSTONE_HEADER_TIMEOUT_S", "0.5")
    get_settings.cache_clear()
    try:
        with serve_app(_app()) as base:
            silent = _open(base)
            assert _closed_by_server(silent)
    finally:
        monkeypatch.delenv("KEYSTONE_HEADER_TIMEOUT_S")
        get_settings.cache_clear()


# -- what must not be cut, for both protocol classes ------------------------------------


def _app() -> Starlette:
    async def ok(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def echo(request: Request) -> PlainTextResponse:
        return PlainTextResponse((await request.body()).decode())

    async def stream(request: Request) -> StreamingResponse:
        async def parts() -> Any:
            for i in range(5):
                yield f"part {i}\n".encode()
                await asyncio.sleep(0.4)  # 2 s in all: four header timeouts

        return StreamingResponse(parts())

    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    return Starlette(
        routes=[
            Route("/ok", ok),
            Route("/echo", echo, methods=["POST"]),
            Route("/stream", stream),
            WebSocketRoute("/ws", ws),
        ]
    )


@pytest.fixture(params=[HeaderTimeoutHttpToolsProtocol, HeaderTimeoutH11Protocol])
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    """The app on a real uvicorn with a 0.5 s header timeout and a 3 s keep-alive."""
    short = type("Short", (request.param,), {"header_timeout_s": 0.5})
    with serve_app(_app(), http=short, timeout_keep_alive=3) as base:
        yield base


def test_partial_headers_and_silence_are_cut(server: str) -> None:
    partial, silent = _open(server), _open(server)
    partial.sendall(PARTIAL)
    assert _closed_by_server(partial) and _closed_by_server(silent)


def test_a_slow_body_is_not_cut(server: str) -> None:
    sock = _open(server)
    body = b"x" * 40
    sock.sendall(
        f"POST /echo HTTP/1.1\r\nHost: edge\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    )
    for i in range(0, len(body), 10):
        time.sleep(0.4)  # 1.6 s of body: three header timeouts
        sock.sendall(body[i : i + 10])
    assert _response(sock) == (200, body)


def test_a_long_streaming_response_is_not_cut_even_with_a_pipelined_request(
    server: str,
) -> None:
    sock = _open(server)
    sock.sendall(_get("/stream") + b"GET /ok HTTP/1.1\r\nHo")  # the next one never completes
    status, body = _response(sock)
    assert status == 200 and body.count(b"part ") == 5
    assert _closed_by_server(sock)  # then the unfinished request's deadline applies


def test_an_idle_websocket_is_not_cut(server: str) -> None:
    with connect("ws" + server.removeprefix("http") + "/ws", open_timeout=WAIT_S) as ws:
        time.sleep(1.5)
        ws.send("still here")
        assert ws.recv(timeout=WAIT_S) == "still here"


def test_keep_alive_idle_is_uvicorns_and_a_later_request_has_its_deadline(server: str) -> None:
    sock = _open(server)
    sock.sendall(_get("/ok"))
    assert _response(sock) == (200, b"ok")
    time.sleep(1.5)  # idle between requests: past the header timeout, within keep-alive
    sock.sendall(_get("/ok"))
    assert _response(sock) == (200, b"ok")
    assert _closed_by_server(sock)  # idle beyond timeout_keep_alive: uvicorn closes it

    kept = _open(server)
    kept.sendall(_get("/ok"))
    assert _response(kept) == (200, b"ok")
    kept.sendall(PARTIAL)  # a second request that never completes its headers
    assert _closed_by_server(kept)
