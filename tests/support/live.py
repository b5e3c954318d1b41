"""The app served by a real uvicorn server over real HTTP, inside the test process."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from keystone_api.cli.api_cmd import WS_MAX_FRAME_BYTES
from keystone_api.storage.seaweed import free_port


@contextmanager
def serve_app(app: object, port: int | None = None) -> Iterator[str]:
    port = port or free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",  # type: ignore[arg-type]
        lifespan="on",
        ws="websockets-sansio",
        ws_max_size=WS_MAX_FRAME_BYTES,
    )
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
