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
from awscrt.checksums import crc64nvme
from botocore.exceptions import ClientError
from sqlalchemy import select

from keystone_api.cloud.models import CloudOrder, CloudOrganization, CloudTask
from keystone_api.sync.objects import crc64_b64
from tests.api.world import auth, tool_token
from tests.sync.conftest import MIB, Cloud, cloud_token, service_token


def _put(
    cloud: Cloud, key: str, data: bytes, *, multipart: bool = False, meta: bool = True
) -> tuple[str, str | None]:
    """Upload as the sender does; (SHA-256 hex, CRC64NVME base64 when multipart)."""
    sha = hashlib.sha256(data).digest()
    if not multipart:
        cloud.s3.put_object(
            Bucket=cloud.bucket, Key=key, Body=data, ChecksumSHA256=base64.b64encode(sha).decode()
        )
        return sha.hex(), None
    upload = cloud.s3.create_multipart_upload(
        Bucket=cloud.bucket,
        Key=key,
        ChecksumAlgorithm="CRC64NVME",
        ChecksumType="FULL_OBJECT",
        Metadata={"checksum-sha256": sha.hex()} if meta else {},
    )["UploadId"]
    parts = [
        cloud.upload_part(key, upload, number, data[start : start + 5 * MIB])
        for number, start in enumerate(range(0, len(data), 5 * MIB), 1)
    ]
    cloud.s3.complete_multipart_upload(
        Bucket=cloud.bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}
    )
    return sha.hex(), crc64_b64(crc64nvme(data))


def delivery(
    cloud: Cloud, size: int = 4096, multipart: bool = False, meta: bool = True
) -> dict[str, Any]:
    """Objects uploaded to the cloud bucket and the delivery that describes them (with the
    CRC64NVME of a multipart MCAP, as the sender sends it)."""
    factory, episode = f"factory-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    sidecar = {"task": {"task_id": episode}, "recording": {"duration_sec": 30.0}}
    sidecar_bytes = json.dumps(sidecar).encode()
    mcap_key = f"{factory}/episodes/{episode}/data.mcap"
    sidecar_key = f"{factory}/episodes/{episode}/sidecar.json"
    mcap_sha, crc = _put(cloud, mcap_key, os.urandom(size), multipart=multipart, meta=meta)
    checksum = {"mcap": mcap_sha, "sidecar": _put(cloud, sidecar_key, sidecar_bytes)[0]}
    if crc:
        checksum["mcap_crc64nvme"] = crc
    return {
        "episode_id": episode,
        "factory_id": factory,
        "approved_at": "2026-11-27T08:00:00+00:00",
        "sidecar": sidecar,
        "checksum": checksum,
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


def test_a_multipart_object_is_verified_by_the_stores_full_object_crc(cloud: Cloud) -> None:
    body = delivery(cloud, size=11 * MIB, multipart=True)
    good = post(cloud, body)
    assert good.status_code == 202, good.text
    assert good.json()["verified_by"] == "s3-crc64nvme"  # nothing read: the store vouches


def _refused_as_mcap_mismatch(cloud: Cloud, body: dict[str, Any]) -> None:
    refused = post(cloud, body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "checksum_mismatch"
    assert refused.json()["error"]["details"]["object"] == "mcap"
    assert body["episode_id"] not in cloud.episodes()  # nothing recorded


def test_a_crc_or_sha256_that_is_not_the_stored_objects_is_refused(cloud: Cloud) -> None:
    body = delivery(cloud, size=11 * MIB, multipart=True)
    other_crc = crc64_b64(crc64nvme(b"other bytes"))
    _refused_as_mcap_mismatch(
        cloud, {**body, "checksum": {**body["checksum"], "mcap_crc64nvme": other_crc}}
    )
    # The SHA-256 must still be the one the object was created under.
    other_sha = hashlib.sha256(b"other bytes").hexdigest()
    _refused_as_mcap_mismatch(cloud, {**body, "checksum": {**body["checksum"], "mcap": other_sha}})
    malformed = {**body, "checksum": {**body["checksum"], "mcap_crc64nvme": "not base64"}}
    assert post(cloud, malformed).status_code == 422
    assert post(cloud, body).status_code == 202  # the true delivery still goes through


def test_the_store_refuses_parts_that_do_not_match_their_crc(cloud: Cloud) -> None:
    """What the receiver relies on: the store checks each part's CRC64NVME, and computes
    the whole object's from the parts it accepted (a wrong claimed whole is refused)."""
    key, data = f"f/{uuid.uuid4()}/data.mcap", os.urandom(6 * MIB)
    upload = cloud.s3.create_multipart_upload(
        Bucket=cloud.bucket, Key=key, ChecksumAlgorithm="CRC64NVME", ChecksumType="FULL_OBJECT"
    )["UploadId"]
    with pytest.raises(ClientError, match="BadDigest"):
        cloud.upload_part(key, upload, 1, data, crc_of=data[1:])
    part = cloud.upload_part(key, upload, 1, data)
    with pytest.raises(ClientError, match="BadDigest"):
        cloud.s3.complete_multipart_upload(
            Bucket=cloud.bucket,
            Key=key,
            UploadId=upload,
            MultipartUpload={"Parts": [part]},
            ChecksumCRC64NVME=crc64_b64(crc64nvme(data[:-1])),
            ChecksumType="FULL_OBJECT",
        )


def test_a_multipart_object_without_a_crc_or_sha_metadata_is_read(cloud: Cloud) -> None:
    body = delivery(cloud, size=11 * MIB, multipart=True)
    del body["checksum"]["mcap_crc64nvme"]
    good = post(cloud, body)
    assert good.status_code == 202 and good.json()["verified_by"] == "read"
    # A CRC but no full-SHA metadata on the object: the CRC alone says nothing about which
    # SHA-256 the bytes have, so the receiver reads them.
    wrong = delivery(cloud, size=6 * MIB, multipart=True, meta=False)
    wrong["checksum"]["mcap"] = hashlib.sha256(b"other bytes").hexdigest()
    _refused_as_mcap_mismatch(cloud, wrong)


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
    changed["checksum"]["mcap"] = _put(cloud, changed["objects"]["mcap"], b"a new recording")[0]
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
    assert post(cloud, body, token=tool_token("admin")).status_code == 401  # the edge's
    assert post(cloud, body, token=cloud_token("admin")).status_code == 403
    assert post(cloud, body, token=cloud_token("operator")).status_code == 403
    assert post(cloud, body, token=service_token(factory_id="another-factory")).status_code == 403
    replicas = httpx.post(
        cloud.api + "/api/v1/sync/replicas",
        json={"records": []},
        headers=auth(cloud_token("admin")),
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
            _record("task", task_id, v, factory_id="f1", order_id=order_id, batch_id="b1", status=s)
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
