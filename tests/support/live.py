"""The app served by a real uvicorn server over real HTTP, inside the test process."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from keystone_api.http_protocol import HTTP_PROTOCOL
from keystone_dev.cli.api_cmd import WS_MAX_FRAME_BYTES
from keystone_dev.seaweed import free_port


@contextmanager
def serve_app(app: Any, port: int | None = None, **options: Any) -> Iterator[str]:
    """Serve `app` as `keystone api` does (its HTTP protocol with the header-read timeout,
    its WebSocket settings); `options` override uvicorn.Config's."""
    port = port or free_port()
    settings: dict[str, Any] = dict(
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        http=HTTP_PROTOCOL,
        ws="websockets-sansio",
        ws_max_size=WS_MAX_FRAME_BYTES,
    )
    config = uvicorn.Config(app, **{**settings, **options})
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextmanager
def public_edge_app() -> Iterator[tuple[str, Any]]:
    """A new edge app on a free port whose public base URL (the callback and WebSocket URLs
    it hands robots) is that port: (base URL, app). The URL is a process-wide setting, so
    the previous value comes back afterwards."""
    from keystone_api.app import create_app
    from tests.support.settings_env import settings_env

    port = free_port()
    with settings_env(public_base_url=f"http://127.0.0.1:{port}"):
        app = create_app()
        with serve_app(app, port) as base:
            yield base, app
