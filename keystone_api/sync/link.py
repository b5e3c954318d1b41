"""The sender's connections: the edge store, the cloud store and the cloud receiver."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from botocore.client import BaseClient

from keystone_api.settings import Settings
from keystone_api.storage.s3 import make_s3_client
from keystone_api.sync.errors import CloudUnavailable, NotConfigured, ReceiverRejected

# Receiver error codes that mean "the bytes in the cloud store are wrong": upload afresh.
RESTART_CODES = frozenset({"checksum_mismatch", "object_missing"})


@dataclass(frozen=True)
class Delivered:
    status: int  # 202 first delivery, 409 the cloud already had it (same checksums)
    synced_at: datetime


@dataclass
class CloudLink:
    settings: Settings
    edge: BaseClient
    cloud: BaseClient
    http: httpx.Client

    def close(self) -> None:
        self.http.close()

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        try:
            response = self.http.post(path, json=body)
        except httpx.HTTPError as exc:
            raise CloudUnavailable(f"receiver unreachable: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 500 or response.status_code in (408, 429):
            err = CloudUnavailable(f"receiver answered {response.status_code}")
            err.http_status = response.status_code
            raise err
        return response

    def deliver_episode(self, body: dict[str, Any]) -> Delivered:
        response = self.post("/api/v1/sync/episode", body)
        payload = _json(response)
        if response.status_code in (202, 409) and isinstance(payload.get("synced_at"), str):
            return Delivered(response.status_code, datetime.fromisoformat(payload["synced_at"]))
        found = payload.get("error")
        error: dict[str, Any] = found if isinstance(found, dict) else {}
        code = str(error.get("code", ""))
        message = str(error.get("message", response.text[:500]))
        raise ReceiverRejected(
            f"receiver answered {response.status_code} {code}: {message}",
            response.status_code,
            code,
            restart=code in RESTART_CODES,
        )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def open_link(settings: Settings) -> CloudLink:
    required = {
        "KEYSTONE_CLOUD_API_URL": settings.cloud_api_url,
        "KEYSTONE_CLOUD_SERVICE_TOKEN": settings.cloud_service_token,
        "KEYSTONE_CLOUD_S3_ENDPOINT_URL": settings.cloud_s3_endpoint_url,
        "KEYSTONE_CLOUD_S3_ACCESS_KEY": settings.cloud_s3_access_key,
        "KEYSTONE_CLOUD_S3_SECRET_KEY": settings.cloud_s3_secret_key,
    }
    missing = [name for name, value in required.items() if not value]
    if missing:
        raise NotConfigured(f"cloud sync is not configured: set {', '.join(missing)}")
    assert settings.cloud_service_token and settings.cloud_s3_secret_key
    assert settings.cloud_s3_endpoint_url and settings.cloud_s3_access_key
    pool = settings.sync_parts_in_flight + settings.sync_window + 4
    edge = make_s3_client(
        settings.s3_endpoint_url,
        settings.s3_access_key,
        settings.s3_secret_key.get_secret_value(),
        settings.s3_region,
        max_pool_connections=pool,
        read_timeout=settings.sync_http_timeout_s,
    )
    cloud = make_s3_client(
        settings.cloud_s3_endpoint_url,
        settings.cloud_s3_access_key,
        settings.cloud_s3_secret_key.get_secret_value(),
        settings.s3_region,
        max_pool_connections=pool,
        read_timeout=settings.sync_http_timeout_s,
        sign_payload=False,  # every PUT carries its own x-amz-checksum-sha256
    )
    http = httpx.Client(
        base_url=str(settings.cloud_api_url).rstrip("/"),
        headers={"Authorization": f"Bearer {settings.cloud_service_token.get_secret_value()}"},
        timeout=httpx.Timeout(settings.sync_http_timeout_s, connect=5.0),
    )
    return CloudLink(settings, edge, cloud, http)
