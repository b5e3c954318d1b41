"""Keystone's own processes hold keys limited to what each does, provisioned by `keystone
storage provision` and checked here on the real store (SeaweedFS): the API reads, QA reads
and writes evidence under `qa/` only, the sync sender reads the edge and writes only its
factories' prefixes of the cloud bucket, the cloud receiver reads the cloud bucket."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from typing import Any

import pytest
from botocore.exceptions import ClientError

from keystone_api.storage.s3 import make_s3_client

REFUSED = {"AccessDenied", "403"}


def _provision(s3_server: Any, role: str, *factory_ids: str) -> dict[str, str]:
    cmd = [sys.executable, "-m", "keystone_dev.cli.main", "storage", "provision", role]
    for factory_id in factory_ids:
        cmd += ["--factory-id", factory_id]
    env_overrides = {
        "KEYSTONE_S3_ENDPOINT_URL": s3_server.endpoint_url,
        "KEYSTONE_STORE_ADMIN_ACCESS_KEY": s3_server.access_key,
        "KEYSTONE_STORE_ADMIN_SECRET_KEY": s3_server.secret_key,
        "KEYSTONE_CLOUD_BUCKET": "cloud-episodes",
    }
    import os

    done = subprocess.run(
        cmd, env={**os.environ, **env_overrides}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split("=", 1) for line in done.stdout.strip().splitlines())
    access = next(v for k, v in lines.items() if k.endswith("ACCESS_KEY"))
    secret = next(v for k, v in lines.items() if k.endswith("SECRET_KEY"))
    return {"access": access, "secret": secret}


def _client(s3_server: Any, key: dict[str, str]) -> Any:
    return make_s3_client(s3_server.endpoint_url, key["access"], key["secret"], retries=1)


def _allowed(call: Any) -> None:
    call()


def _refused(call: Any) -> None:
    with pytest.raises(ClientError) as err:
        call()
    assert err.value.response["Error"]["Code"] in REFUSED, err.value.response["Error"]


@pytest.fixture
def stores(s3, s3_server) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """An edge bucket with a recording, and the cloud bucket."""
    for bucket in ("edge-fa", "edge-fb", "cloud-episodes"):
        with contextlib.suppress(ClientError):
            s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="edge-fa", Key="fa/dev-1/2026-12-05/t.mcap", Body=b"recording")
    s3.put_object(Bucket="edge-fb", Key="fb/dev-2/2026-12-05/t.mcap", Body=b"recording")
    s3.put_object(Bucket="cloud-episodes", Key="fa/episodes/e/x/data.mcap", Body=b"synced")
    return {"recording": "fa/dev-1/2026-12-05/t.mcap"}


def test_the_api_key_reads_and_nothing_more(s3_server, stores) -> None:  # type: ignore[no-untyped-def]
    api = _client(s3_server, _provision(s3_server, "api"))
    rec = stores["recording"]
    _allowed(lambda: api.head_object(Bucket="edge-fa", Key=rec))
    _allowed(lambda: api.get_object(Bucket="edge-fa", Key=rec))
    _allowed(lambda: api.list_objects_v2(Bucket="edge-fb"))
    url = api.generate_presigned_url("get_object", Params={"Bucket": "edge-fa", "Key": rec})
    import httpx

    assert httpx.get(url).content == b"recording"  # presigned downloads work
    _refused(lambda: api.put_object(Bucket="edge-fa", Key=rec, Body=b"overwritten"))
    _refused(lambda: api.put_object(Bucket="edge-fa", Key="qa/x.jpg", Body=b"x"))
    _refused(lambda: api.delete_object(Bucket="edge-fa", Key=rec))
    _refused(lambda: api.get_object(Bucket="cloud-episodes", Key="fa/episodes/e/x/data.mcap"))
    _refused(lambda: api.create_bucket(Bucket="edge-new"))


def test_the_qa_key_reads_and_writes_evidence_only(s3_server, stores) -> None:  # type: ignore[no-untyped-def]
    qa = _client(s3_server, _provision(s3_server, "qa"))
    rec = stores["recording"]
    _allowed(lambda: qa.list_objects_v2(Bucket="edge-fa"))
    _allowed(lambda: qa.get_object(Bucket="edge-fa", Key=rec, Range="bytes=0-3"))
    _allowed(lambda: qa.put_object(Bucket="edge-fa", Key="qa/fa/dev-1/t/frame.jpg", Body=b"jpg"))
    _refused(lambda: qa.put_object(Bucket="edge-fa", Key=rec, Body=b"overwritten"))
    _refused(lambda: qa.put_object(Bucket="edge-fa", Key="fa/dev-1/x.mcap", Body=b"forged"))
    _refused(lambda: qa.delete_object(Bucket="edge-fa", Key="qa/fa/dev-1/t/frame.jpg"))
    _refused(lambda: qa.put_object(Bucket="cloud-episodes", Key="fa/x", Body=b"x"))


def test_the_sync_keys_read_the_edge_and_write_their_own_factories_in_the_cloud(
    s3_server, stores
) -> None:  # type: ignore[no-untyped-def]
    edge = _client(s3_server, _provision(s3_server, "sync"))
    _allowed(lambda: edge.get_object(Bucket="edge-fa", Key=stores["recording"]))
    _refused(lambda: edge.put_object(Bucket="edge-fa", Key="fa/x", Body=b"x"))
    _refused(lambda: edge.list_objects_v2(Bucket="edge-fa"))

    cloud = _client(s3_server, _provision(s3_server, "sync-cloud", "fa"))
    _allowed(lambda: cloud.put_object(Bucket="cloud-episodes", Key="fa/episodes/n/d", Body=b"x"))
    _allowed(lambda: cloud.head_object(Bucket="cloud-episodes", Key="fa/episodes/n/d"))
    upload = cloud.create_multipart_upload(Bucket="cloud-episodes", Key="fa/episodes/m/d")
    part = cloud.upload_part(
        Bucket="cloud-episodes",
        Key="fa/episodes/m/d",
        UploadId=upload["UploadId"],
        PartNumber=1,
        Body=b"p" * 1024,
    )
    _allowed(
        lambda: cloud.complete_multipart_upload(
            Bucket="cloud-episodes",
            Key="fa/episodes/m/d",
            UploadId=upload["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
        )
    )
    # Another factory's prefix, the bucket's listing, deletes: refused.
    _refused(lambda: cloud.put_object(Bucket="cloud-episodes", Key="fb/episodes/x", Body=b"x"))
    _refused(lambda: cloud.list_objects_v2(Bucket="cloud-episodes"))
    _refused(lambda: cloud.delete_object(Bucket="cloud-episodes", Key="fa/episodes/e/x/data.mcap"))
    _refused(lambda: cloud.get_object(Bucket="edge-fa", Key=stores["recording"]))


def test_the_cloud_receiver_key_only_reads_the_cloud_bucket(s3_server, stores) -> None:  # type: ignore[no-untyped-def]
    receiver = _client(s3_server, _provision(s3_server, "cloud"))
    _allowed(lambda: receiver.head_object(Bucket="cloud-episodes", Key="fa/episodes/e/x/data.mcap"))
    _refused(lambda: receiver.put_object(Bucket="cloud-episodes", Key="fa/x", Body=b"x"))
    _refused(lambda: receiver.get_object(Bucket="edge-fa", Key=stores["recording"]))


def test_provisioning_again_rotates_the_key(s3_server, stores) -> None:  # type: ignore[no-untyped-def]
    first = _client(s3_server, _provision(s3_server, "sync"))
    second = _client(s3_server, _provision(s3_server, "sync"))
    _allowed(lambda: second.get_object(Bucket="edge-fa", Key=stores["recording"]))
    with pytest.raises(ClientError) as err:
        first.get_object(Bucket="edge-fa", Key=stores["recording"])
    assert err.value.response["Error"]["Code"] in REFUSED | {"InvalidAccessKeyId"}
