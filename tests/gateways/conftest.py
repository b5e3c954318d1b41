from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.gateways.harness import Gateway, Site, build_site
from tests.support.live import public_edge_app


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def gateway(s3_server) -> Iterator[Gateway]:  # type: ignore[no-untyped-def]
    """The edge app on a real uvicorn; the URLs it hands robots point at that port."""
    with public_edge_app() as (base, app):
        yield Gateway(base, app)


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
