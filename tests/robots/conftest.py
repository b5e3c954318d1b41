from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from keystone_api.storage.seaweed import free_port
from tests.robots.harness import Gateway, Site, build_site
from tests.support.live import serve_app


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def gateway(s3_server) -> Iterator[Gateway]:  # type: ignore[no-untyped-def]
    """The edge app on a real uvicorn; the URLs it hands robots point at that port."""
    from keystone_api.app import create_app
    from keystone_api.settings import get_settings

    port = free_port()
    previous = os.environ.get("KEYSTONE_PUBLIC_BASE_URL")
    os.environ["KEYSTONE_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    get_settings.cache_clear()
    app = create_app()
    try:
        with serve_app(app, port) as base:
            yield Gateway(base, app)
    finally:
        if previous is None:
            os.environ.pop("KEYSTONE_PUBLIC_BASE_URL", None)
        else:
            os.environ["KEYSTONE_PUBLIC_BASE_URL"] = previous
        get_settings.cache_clear()


@pytest.fixture
async def site(gateway: Gateway, tmp_path: Path) -> AsyncIterator[Site]:
    """A fresh factory (with the demo templates installed) and room for emulated robots."""
    async with httpx.AsyncClient(base_url=gateway.base, timeout=30) as http:
        site = await build_site(gateway, http, tmp_path)
        try:
            yield site
        finally:
            await site.close()
            gateway.reset_tunables()
