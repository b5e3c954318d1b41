"""Episodes delivered to the cloud as an edge's sender delivers them (objects in the cloud
bucket with their SHA-256, then POST /api/v1/sync/episode with a service token), and the
cloud's people: its admin and data readers."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import datetime
from typing import Any

import httpx

from keystone_api.ids import new_id
from tests.api.world import auth, ok
from tests.sync.conftest import Cloud, cloud_token, service_token


def put(cloud: Cloud, key: str, data: bytes) -> str:
    sha = hashlib.sha256(data).digest()
    cloud.s3.put_object(
        Bucket=cloud.bucket, Key=key, Body=data, ChecksumSHA256=base64.b64encode(sha).decode()
    )
    return sha.hex()


def deliver(
    cloud: Cloud,
    factory_id: str,
    approved_at: datetime,
    catalog: dict[str, Any] | None = None,
    *,
    task: dict[str, Any] | None = None,
    findings: list[dict[str, Any]] | None = None,
    data: bytes | None = None,
) -> dict[str, Any]:
    """One episode received by the cloud; returns the delivery (with `data`, the MCAP)."""
    episode = new_id()
    data = data if data is not None else b"\x89MCAP0\r\n" + os.urandom(2040)
    sidecar = {
        "version": "1.0",
        "task": {"task_id": new_id(), "scene": "", "factory": ""} | (task or {}),
        "device": {"device_id": "sidecar-device"},
        "recording": {"duration_sec": 12.5},
    }
    base = f"{factory_id}/episodes/{episode}"
    mcap_sha = put(cloud, f"{base}/data.mcap", data)
    sidecar_sha = put(cloud, f"{base}/sidecar.json", json.dumps(sidecar).encode())
    body: dict[str, Any] = {
        "episode_id": episode,
        "factory_id": factory_id,
        "approved_at": approved_at.isoformat(),
        "sidecar": sidecar,
        "checksum": {"mcap": mcap_sha, "sidecar": sidecar_sha},
        "objects": {"mcap": f"{base}/data.mcap", "sidecar": f"{base}/sidecar.json"},
    }
    if catalog is not None:
        body["catalog"] = catalog
    if findings:
        body["qa_findings"] = findings
    ok(post_delivery(cloud, body), 202)
    return body | {"data": data}


def post_delivery(cloud: Cloud, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        cloud.api + "/api/v1/sync/episode", json=body, headers=auth(service_token()), timeout=30
    )


def facts(**values: Any) -> dict[str, Any]:
    """Catalog facts as an edge sends them, `values` overriding."""
    return {
        "factory_name": "Factory Test",
        "task_id": new_id(),
        "order_id": new_id(),
        "batch_id": new_id(),
        "workstation_id": new_id(),
        "workstation": "WS-01",
        "robot_id": new_id(),
        "device_id": "robot-0001",
        "robot_type": "Axon Demo",
        "scene": "Kitchen",
        "subscene": "Sink",
        "skills": ["grasp"],
        "labels": [],
        "qa_score": 0.95,
        "qa_checks": [{"name": "gaps", "passed": True, "score": 1.0, "detail": ""}],
    } | values


def reader(factory_id: str | None = None) -> str:
    """A data reader's tool token, minted by the cloud (bound to a factory if given)."""
    return cloud_token("data_reader", factory_id=factory_id)


def admin() -> str:
    return cloud_token("admin")


def get(cloud: Cloud, path: str, token: str, **params: Any) -> httpx.Response:
    return httpx.get(cloud.api + path, params=params, headers=auth(token), timeout=30)
