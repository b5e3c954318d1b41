"""The episode search tests share one factory (seeding through the API costs seconds);
tests that change labels use episodes of their own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.episodes.search_world import SearchWorld, build_search_world


@pytest.fixture(scope="session")
def search_client(live_api: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_api, timeout=30) as c:
        yield c


@pytest.fixture(scope="session")
def searchable(search_client: httpx.Client, s3_server: Any) -> SearchWorld:
    from keystone_api.storage.s3 import make_s3_client

    s3 = make_s3_client(s3_server.endpoint_url, s3_server.access_key, s3_server.secret_key)
    return build_search_world(search_client, s3)
