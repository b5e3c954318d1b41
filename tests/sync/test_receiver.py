"""The cloud receiver's contract, over real HTTP to a `keystone api` in the cloud role."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from keystone_api.cloud.models import CloudOrder, CloudOrganization, CloudTask
from tests.api.world import auth, tool_token
from tests.sync.conftest import MIB, Cloud, service_token


def _put(cloud: Cloud, key: str, data: bytes, *, multipart: bool = False) -> str:
    sha = hashlib.sha256(data).digest()
    if not multipart:
        cloud.s3.put_object(
            Bucket=cloud.bucket, Key=key, Body=data, ChecksumSHA256=base64.b64encode(sha).decode()
        )
        return sha.hex()
    upload = cloud.s3.create_multipart_upload(
        Bucket=cloud.bucket, Key=key, ChecksumAlgorithm="SHA256"
    )["UploadId"]
    parts = []
    for number, start in enumerate(range(0, len(data), 5 * MIB), 1):
        chunk = data[start : start + 5 * MIB]
        checksum = base64.b64encode(hashlib.sha256(chunk).digest()).decode()
        etag = cloud.s3.upload_part(
            Bucket=cloud.bucket,
            Key=key,
            UploadId=upload,
            PartNumber=number,
            Body=chunk,
            ChecksumSHA256=checksum,
        )["ETag"]
        parts.append({"PartNumber": number, "ETag": etag, "ChecksumSHA256": checksum})
    cloud.s3.complete_multipart_upload(
        Bucket=cloud.bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}
    )
    return sha.hex()


def delivery(cloud: Cloud, size: int = 4096, multipart: bool = False) -> dict[str, Any]:
    """Objects uploaded to the cloud bucket and the delivery that describes them."""
    factory, episode = f"factory-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    sidecar = {"task": {"task_id": episode}, "recording": {"duration_sec": 30.0}}
    sidecar_bytes = json.dumps(sidecar).encode()
    mcap_key = f"{factory}/episodes/{episode}/data.mcap"
    sidecar_key = f"{factory}/episodes/{episode}/sidecar.json"
    return {
        "episode_id": episode,
        "factory_id": factory,
        "approved_at": "2026-11-27T08:00:00+00:00",
        "sidecar": sidecar,
        "checksum": {
            "mcap": _put(cloud, mcap_key, os.urandom(size), multipart=multipart),
            "sidecar": _put(cloud, sidecar_key, sidecar_bytes),
        },
        "objects": {"mcap": mcap_key, "sidecar": sidecar_key},
    }


def post(cloud: Cloud, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    headers = auth(token if token is not None else service_token()) if token != "" else {}
    return httpx.post(cloud.api + "/api/v1/sync/episode", json=body, headers=headers, timeout=30)


def test_first_delivery_is_202_and_a_repeat_409_with_synced_at(cloud: Cloud) -> None:
    body = delivery(cloud)
    first = post(cloud, body)
    assert first.status_code == 202, first.text
    assert first.json()["verified_by"] == "s3-checksum"  # one PUT: the store's own SHA-256
    again = post(cloud, body)
    assert again.status_code == 409
    assert again.json()["synced_at"] == first.json()["synced_at"]
    assert again.json()["error"]["code"] == "already_synced"
    row = cloud.episodes()[body["episode_id"]]
    assert (row.mcap_sha256, row.sidecar, row.mcap_size_bytes) == (
        body["checksum"]["mcap"],
        body["sidecar"],
        4096,
    )


def test_a_multipart_object_is_verified_by_reading_it(cloud: Cloud) -> None:
    body = delivery(cloud, size=11 * MIB, multipart=True)
    good = post(cloud, body)
    assert good.status_code == 202 and good.json()["verified_by"] == "read"
    wrong = delivery(cloud, size=6 * MIB, multipart=True)
    wrong["checksum"]["mcap"] = hashlib.sha256(b"other bytes").hexdigest()
    refused = post(cloud, wrong)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "checksum_mismatch"
    assert refused.json()["error"]["details"]["object"] == "mcap"


@pytest.mark.parametrize("name", ["mcap", "sidecar"])
def test_a_checksum_that_does_not_match_the_object_is_422_naming_it(
    cloud: Cloud, name: str
) -> None:
    body = delivery(cloud)
    good = body["checksum"][name]
    body["checksum"][name] = hashlib.sha256(b"not these bytes").hexdigest()
    refused = post(cloud, body)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "checksum_mismatch" and error["details"]["object"] == name
    assert name in error["message"]
    assert body["episode_id"] not in cloud.episodes()  # nothing recorded
    body["checksum"][name] = good
    assert post(cloud, body).status_code == 202


def test_missing_objects_and_foreign_keys_are_refused(cloud: Cloud) -> None:
    body = delivery(cloud)
    body["objects"]["mcap"] = f"{body['factory_id']}/episodes/nothing-here.mcap"
    missing = post(cloud, body)
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "object_missing"
    assert missing.json()["error"]["details"]["object"] == "mcap"
    other = delivery(cloud)
    body["objects"]["mcap"] = other["objects"]["mcap"]  # another factory's prefix
    assert post(cloud, body).json()["error"]["code"] == "bad_object_key"


def test_same_episode_with_other_checksums_is_422_and_nothing_is_overwritten(
    cloud: Cloud,
) -> None:
    body = delivery(cloud)
    assert post(cloud, body).status_code == 202
    before = cloud.episodes()[body["episode_id"]]
    changed = dict(body, objects=dict(body["objects"]), checksum=dict(body["checksum"]))
    changed["objects"]["mcap"] = f"{body['factory_id']}/episodes/{body['episode_id']}/v2.mcap"
    changed["checksum"]["mcap"] = _put(cloud, changed["objects"]["mcap"], b"a new recording")
    refused = post(cloud, changed)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "payload_changed"
    after = cloud.episodes()[body["episode_id"]]
    assert (after.mcap_sha256, after.mcap_key, after.synced_at) == (
        before.mcap_sha256,
        before.mcap_key,
        before.synced_at,
    )


def test_the_sidecar_in_the_body_must_be_the_sidecar_object(cloud: Cloud) -> None:
    body = delivery(cloud)
    body["sidecar"] = {"task": {"task_id": "somebody else"}}
    refused = post(cloud, body)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "sidecar_mismatch"


def test_bad_tokens_are_refused(cloud: Cloud) -> None:
    body = delivery(cloud)
    assert post(cloud, body, token="").status_code == 401
    assert post(cloud, body, token="not-a-jwt").status_code == 401
    assert post(cloud, body, token=service_token(ttl_s=-60)).status_code == 401
    assert post(cloud, body, token=tool_token("admin")).status_code == 403
    assert post(cloud, body, token=tool_token("operator")).status_code == 403
    assert post(cloud, body, token=service_token(factory_id="another-factory")).status_code == 403
    replicas = httpx.post(
        cloud.api + "/api/v1/sync/replicas",
        json={"records": []},
        headers=auth(tool_token("admin")),
    )
    assert replicas.status_code == 403
    assert body["episode_id"] not in cloud.episodes()
    assert post(cloud, body, token=service_token(factory_id=body["factory_id"])).status_code == 202


def test_concurrent_first_deliveries_record_the_episode_once(cloud: Cloud) -> None:
    body = delivery(cloud)
    with ThreadPoolExecutor(6) as pool:
        codes = sorted(r.status_code for r in pool.map(lambda _: post(cloud, body), range(6)))
    assert codes == [202, 409, 409, 409, 409, 409]


def _record(kind: str, record_id: str, version: int, **data: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": record_id,
        "version": version,
        "updated_at": f"2026-11-27T08:00:{version:02d}+00:00",
        "data": {"id": record_id, "version": version, **data},
    }


def test_replicas_converge_after_replays_and_reordering(cloud: Cloud) -> None:
    order_id, task_id, org_id = (str(uuid.uuid4()) for _ in range(3))
    history = [
        *(
            _record("order", order_id, v, factory_id="f1", status=s)
            for v, s in enumerate(["pending", "active", "paused", "active", "completed"], 1)
        ),
        *(
            _record("task", task_id, v, order_id=order_id, batch_id="b1", status=s)
            for v, s in enumerate(["pending", "ready", "in_progress", "uploading", "completed"], 1)
        ),
        *(_record("organization", org_id, v, name=f"Org v{v}") for v in (1, 2, 3)),
    ]
    deliveries = history * 3  # every version replayed
    random.Random(11).shuffle(deliveries)
    applied = 0
    for start in range(0, len(deliveries), 7):
        response = httpx.post(
            cloud.api + "/api/v1/sync/replicas",
            json={"records": deliveries[start : start + 7]},
            headers=auth(service_token()),
        )
        assert response.status_code == 200, response.text
        applied += response.json()["applied"]
        assert response.json()["applied"] + response.json()["stale"] == len(
            deliveries[start : start + 7]
        )
    assert applied <= len(history)  # a replay or an older version never applies
    with cloud.sessions() as session:
        order = session.get(CloudOrder, order_id)
        task = session.get(CloudTask, task_id)
        org = session.get(CloudOrganization, org_id)
        assert order is not None and task is not None and org is not None
        assert (order.version, order.status, order.data["status"]) == (5, "completed", "completed")
        assert (task.version, task.status, task.order_id) == (5, "completed", order_id)
        assert (org.version, org.name) == (3, "Org v3")
        assert session.execute(select(CloudOrder).where(CloudOrder.id == order_id)).scalars().all()
