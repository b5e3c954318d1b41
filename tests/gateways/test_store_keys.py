"""Each robot's own object-store key, on the real store (SeaweedFS): it writes under
`{factory_id}/{device_id}/` of its factory's bucket (single PUT and multipart, with the
daemon's checksum metadata) and HEADs what it wrote (the daemon verifies every upload that
way), and nothing else: no GET, LIST or DELETE elsewhere, no other prefix or bucket, no
bucket or identity administration. A rotation replaces the key (the old one stops working
at once); archiving the robot revokes it."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from keystone_api.settings import get_settings
from keystone_api.storage.s3 import make_s3_client
from keystone_sim.axon import register
from tests.gateways.harness import Site

pytestmark = pytest.mark.anyio
REFUSED = {"AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"}


def _client(storage: dict[str, Any]) -> Any:
    return make_s3_client(
        storage["endpoint_url"], storage["access_key"], storage["secret_key"], retries=1
    )


def _error(call: Any) -> str:
    with pytest.raises(ClientError) as err:
        call()
    return str(err.value.response["Error"]["Code"])


def _refused(call: Any) -> None:
    code = _error(call)
    assert code in REFUSED, code


async def _robot(site: Site) -> dict[str, Any]:
    reg = await register(site.http, site.enroll_url, site.factory, site.robot_type)
    return reg.response


async def test_a_robot_key_writes_its_own_prefix_and_nothing_else(site: Site, s3, tmp_path) -> None:  # type: ignore[no-untyped-def]
    a, b = await _robot(site), await _robot(site)
    store, bucket, prefix = a["storage"], a["storage"]["bucket"], a["storage"]["prefix"]
    robot = _client(store)
    # What the Axon daemon does: PUT (multipart above its part size) with the checksum in
    # user metadata, HEAD it back to compare, then the sidecar.
    data = b"m" * (6 * 1024 * 1024)
    sha = hashlib.sha256(data).hexdigest()
    path = tmp_path / "rec.mcap"
    path.write_bytes(data)
    parts = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    key = f"{prefix}2026-12-05/task.mcap"
    robot.upload_file(
        str(path), bucket, key, ExtraArgs={"Metadata": {"checksum-sha256": sha}}, Config=parts
    )
    assert robot.head_object(Bucket=bucket, Key=key)["Metadata"]["checksum-sha256"] == sha
    robot.put_object(Bucket=bucket, Key=f"{prefix}2026-12-05/task.json", Body=b"{}")
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(data)

    other_prefix = b["storage"]["prefix"]
    s3.put_object(Bucket=bucket, Key=f"{other_prefix}x.mcap", Body=b"b's recording")
    s3.put_object(Bucket=bucket, Key="qa/evidence.jpg", Body=b"qa")
    _refused(lambda: robot.get_object(Bucket=bucket, Key=f"{other_prefix}x.mcap"))
    _refused(lambda: robot.head_object(Bucket=bucket, Key=f"{other_prefix}x.mcap"))
    _refused(lambda: robot.list_objects_v2(Bucket=bucket))
    _refused(lambda: robot.list_objects_v2(Bucket=bucket, Prefix=prefix))
    _refused(lambda: robot.put_object(Bucket=bucket, Key=f"{other_prefix}forged.mcap", Body=b"x"))
    _refused(lambda: robot.put_object(Bucket=bucket, Key="qa/evidence.jpg", Body=b"forged"))
    _refused(lambda: robot.put_object(Bucket=bucket, Key="batches/b/tasks/t/data.mcap", Body=b"x"))
    s3.create_bucket(Bucket="edge-elsewhere")
    _refused(lambda: robot.put_object(Bucket="edge-elsewhere", Key=f"{prefix}x", Body=b"x"))
    _refused(lambda: robot.create_bucket(Bucket="robot-made-bucket"))
    assert robot.list_buckets()["Buckets"] == []  # not even the names of the buckets
    # Deleting: not its own recordings either (they are the factory's once uploaded).
    for victim in (key, f"{other_prefix}x.mcap"):
        try:
            robot.delete_object(Bucket=bucket, Key=victim)
        except ClientError as exc:
            assert exc.response["Error"]["Code"] in REFUSED
        assert s3.head_object(Bucket=bucket, Key=victim)  # still there
    assert s3.get_object(Bucket=bucket, Key="qa/evidence.jpg")["Body"].read() == b"qa"


def _iam(storage: dict[str, Any]) -> Any:
    import boto3

    return boto3.client(
        "iam",
        endpoint_url=storage["endpoint_url"],
        aws_access_key_id=storage["access_key"],
        aws_secret_access_key=storage["secret_key"],
        region_name="us-east-1",
    )


async def test_a_robot_key_is_no_identity_admin(site: Site) -> None:
    import json

    store = (await _robot(site))["storage"]
    iam = _iam(store)
    everything = {"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}
    own = f"ks-robot-{store['prefix'].split('/')[1]}"
    for call in (
        lambda: iam.create_user(UserName="robot-made-user"),
        lambda: iam.list_users(),
        lambda: iam.create_access_key(UserName="keystone"),
        lambda: iam.put_user_policy(
            UserName=own,
            PolicyName="keystone",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [everything]}),
        ),
        lambda: iam.delete_user_policy(UserName=own, PolicyName="keystone"),
    ):
        with pytest.raises(ClientError):
            call()


async def test_rotation_replaces_the_key_and_archiving_revokes_it(site: Site) -> None:
    first = await _robot(site)
    old = first["storage"]
    bucket, prefix = old["bucket"], old["prefix"]
    _client(old).put_object(Bucket=bucket, Key=f"{prefix}before", Body=b"x")
    # SeaweedFS lets an identity make more keys for itself (same policy): a thief's spare
    # key must die with the rotation too.
    own = f"ks-robot-{first['device_id']}"
    spare = _iam(old).create_access_key(UserName=own)["AccessKey"]
    spare_key = {**old, "access_key": spare["AccessKeyId"], "secret_key": spare["SecretAccessKey"]}
    rotated = await site.call("POST", f"/api/v1/robots/{first['robot_id']}/rotate-token")
    new = rotated["storage"]
    assert new["access_key"] != old["access_key"] or new["secret_key"] != old["secret_key"]
    assert rotated["endpoints"]["transfer_ws_url"] != first["endpoints"]["transfer_ws_url"]
    assert rotated["token"] != first["ws_client_auth_token"]
    for void in (old, spare_key):
        _refused(
            lambda v=void: _client(v).put_object(Bucket=bucket, Key=f"{prefix}after", Body=b"x")
        )
    _client(new).put_object(Bucket=bucket, Key=f"{prefix}after", Body=b"x")

    # Returning with its own token (it lost its files): a new key again, the last one void.
    again = await register(
        site.http, site.gateway.base, site.factory, site.robot_type, bearer=rotated["token"]
    )
    newest = again.response["storage"]
    _refused(lambda: _client(new).put_object(Bucket=bucket, Key=f"{prefix}x", Body=b"x"))
    _client(newest).put_object(Bucket=bucket, Key=f"{prefix}x", Body=b"x")

    await site.call("DELETE", f"/api/v1/robots/{first['robot_id']}")
    _refused(lambda: _client(newest).put_object(Bucket=bucket, Key=f"{prefix}y", Body=b"x"))


async def test_a_store_whose_identity_service_refuses_registers_nobody(
    site: Site, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from pydantic import SecretStr

    from keystone_api.storage import identities

    settings = get_settings()
    monkeypatch.setattr(settings, "s3_admin_access_key", "nobody")
    monkeypatch.setattr(settings, "s3_admin_secret_key", SecretStr("wrong-secret"))
    monkeypatch.setattr(identities, "_backends", {})
    before = await site.call("GET", "/api/v1/robots", params={"factory_id": site.world.factory_id})
    resp = await site.http.post(
        site.enroll_url + "/api/v1/devices/register",
        json={"factory": site.factory, "robot_type": site.robot_type},
    )
    assert resp.status_code == 503, resp.text
    error = resp.json()["error"]
    assert error["code"] == "store_identities_unavailable"
    assert "KEYSTONE_S3_ADMIN_ACCESS_KEY" in error["message"]
    after = await site.call("GET", "/api/v1/robots", params={"factory_id": site.world.factory_id})
    assert after["total"] == before["total"]
