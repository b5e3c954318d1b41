"""GET /metrics in Prometheus text format.

Access: Prometheus scrapes inside the factory network, so /metrics is open by default,
like /healthz (it exposes counts and ids, no episode content). Set KEYSTONE_METRICS_TOKEN
and every scrape must send `Authorization: Bearer <that token>` (Prometheus:
`authorization: {credentials: ...}` in the scrape config); do so whenever the API's port
is reachable from beyond the monitoring network.
"""

from __future__ import annotations

import hmac
from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import CollectorRegistry
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.orm import Session

from keystone_api.accounts.principal import bearer
from keystone_api.errors import Unauthorized

router = APIRouter(tags=["monitoring"])


class MetricsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEYSTONE_", extra="ignore")

    metrics_token: SecretStr | None = None


@lru_cache
def get_metrics_settings() -> MetricsSettings:
    return MetricsSettings()


def _session() -> Session:
    from keystone_api.db.engine import get_sessionmaker

    return get_sessionmaker()()


@lru_cache
def registry() -> CollectorRegistry:
    from keystone_api.metrics.collector import build_registry

    return build_registry(_session)


def scrape_allowed(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    token = get_metrics_settings().metrics_token
    if token is None or not token.get_secret_value():
        return
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise Unauthorized("/metrics needs the bearer token set in KEYSTONE_METRICS_TOKEN")


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics, read from the database at each scrape",
    dependencies=[Depends(scrape_allowed)],
    responses={
        200: {
            "description": "Prometheus text exposition format 0.0.4",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
def metrics() -> Response:
    return Response(generate_latest(registry()), media_type=CONTENT_TYPE_PLAIN_0_0_4)
