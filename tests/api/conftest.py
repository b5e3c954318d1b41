from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.api.world import World, build_world
from tests.support.live import serve_app


@pytest.fixture(scope="session")
def live_api(s3_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The edge app on uvicorn over real HTTP, on the session's MariaDB and SeaweedFS."""
    from keystone_api.app import create_app

    with serve_app(create_app()) as base:
        yield base


@pytest.fixture
def client(live_api: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_api, timeout=30) as c:
        yield c


@pytest.fixture
def world(client: httpx.Client) -> World:
    return build_world(client)
