"""The fixtures are the real servers: they enforce what only a real server enforces."""

from __future__ import annotations

import base64
import hashlib

import pytest
from botocore.exceptions import ClientError
from sqlalchemy.exc import IntegrityError

from keystone_api.fleet.models import Robot
from keystone_api.ids import new_id
from keystone_api.storage.s3 import ensure_bucket


def test_s3_server_rejects_a_put_whose_sha256_does_not_match(s3) -> None:
    ensure_bucket(s3, "edge-fixture-check")
    body = b"recorded bytes"
    wrong = base64.b64encode(hashlib.sha256(b"other bytes").digest()).decode()
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket="edge-fixture-check", Key="x.mcap", Body=body, ChecksumSHA256=wrong)
    assert info.value.response["Error"]["Code"] in (
        "BadDigest",
        "XAmzContentSHA256Mismatch",
        "InvalidDigest",
    )
    right = base64.b64encode(hashlib.sha256(body).digest()).decode()
    s3.put_object(Bucket="edge-fixture-check", Key="x.mcap", Body=body, ChecksumSHA256=right)
    assert s3.get_object(Bucket="edge-fixture-check", Key="x.mcap")["Body"].read() == body


def test_s3_server_checks_signatures(s3_server) -> None:
    from keystone_api.storage.s3 import make_s3_client

    bad = make_s3_client(s3_server.endpoint_url, s3_server.access_key, "wrong-secret", retries=1)
    with pytest.raises(ClientError) as info:
        bad.list_buckets()
    assert info.value.response["Error"]["Code"] in ("SignatureDoesNotMatch", "AccessDenied")


def test_mariadb_rejects_a_foreign_key_violation(db) -> None:
    assert db.get_bind().dialect.name == "mysql"
    db.add(Robot(factory_id=new_id(), robot_type_id=new_id(), device_id="AB-F9999-T9999-000001"))
    with pytest.raises(IntegrityError) as info:
        db.flush()
    assert "foreign key constraint fails" in str(info.value).lower()
