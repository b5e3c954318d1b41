"""GET /metrics in Prometheus text format.

Who may scrape: access.py (outside dev mode, KEYSTONE_METRICS_TOKEN or a staff JWT unless
KEYSTONE_METRICS_PUBLIC). How often the database is read: scrapes.py (at most once per
KEYSTONE_METRICS_MIN_INTERVAL_S per process, concurrent scrapes share one reading).
"""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client.core import Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import CollectorRegistry
from sqlalchemy.orm import Session

from keystone_api.metrics.access import ScrapeScopeDep
from keystone_api.metrics.scrapes import Scrapes
from keystone_api.settings import get_settings

router = APIRouter(tags=["monitoring"])


def _session() -> Session:
    from keystone_api.db.engine import get_sessionmaker

    return get_sessionmaker()()


@lru_cache
def registry() -> CollectorRegistry:
    from keystone_api.metrics.collector import build_registry

    return build_registry(_session)


def collect() -> list[Metric]:
    """One reading of every family from the database."""
    return list(registry().collect())


def _min_interval_s() -> float:
    return get_settings().metrics_min_interval_s


def scrapes_of(request: Request) -> Scrapes:
    """This app's scrapes (one per process: an app is served by one event loop)."""
    scrapes = getattr(request.app.state, "metrics_scrapes", None)
    if scrapes is None:
        scrapes = request.app.state.metrics_scrapes = Scrapes(collect, _min_interval_s)
    return scrapes  # type: ignore[no-any-return]


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics, read from the database at most every few seconds",
    responses={
        200: {
            "description": "Prometheus text exposition format 0.0.4",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def metrics(request: Request, scope: ScrapeScopeDep) -> Response:
    snapshot = await scrapes_of(request).snapshot()
    return Response(snapshot.render(scope.factory_id), media_type=CONTENT_TYPE_PLAIN_0_0_4)
