"""The object store client (MinIO in production, SeaweedFS in tests and dev).

Only S3 calls that MinIO, SeaweedFS and AWS all support: list_objects_v2, ranged GETs,
HEAD, (multipart) PUT with SHA-256 checksums, presigned URLs. Path-style addressing,
because robots and MinIO use it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError

from keystone_api.settings import Settings, get_settings


def make_s3_client(
    endpoint_url: str,
    access_key: str,
    secret_key: str,
    region: str = "us-east-1",
    *,
    max_pool_connections: int = 32,
    connect_timeout: float = 5,
    read_timeout: float = 60,
    retries: int = 3,
    sign_payload: bool | None = None,
) -> BaseClient:
    # sign_payload=False: SigV4 without hashing the body, for callers that send their own
    # x-amz-checksum-sha256 (the store verifies it), which saves a SHA-256 pass per byte.
    s3_options: dict[str, Any] = {"addressing_style": "path"}
    if sign_payload is not None:
        s3_options["payload_signing_enabled"] = sign_payload
    config = Config(
        s3=s3_options,
        signature_version="s3v4",
        max_pool_connections=max_pool_connections,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"max_attempts": retries, "mode": "standard"},
        # SeaweedFS and MinIO accept these; we ask for checksums explicitly where we
        # want them (robot uploads, sync), not on every small PUT.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=config,
    )


def s3_client_from_settings(settings: Settings) -> BaseClient:
    return make_s3_client(
        settings.s3_endpoint_url,
        settings.s3_access_key,
        settings.s3_secret_key.get_secret_value(),
        settings.s3_region,
    )


@lru_cache
def get_s3_client() -> BaseClient:
    return s3_client_from_settings(get_settings())


def ensure_bucket(client: BaseClient, bucket: str) -> None:
    """Create the bucket if it does not exist (idempotent)."""
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise
        try:
            client.create_bucket(Bucket=bucket)
        except ClientError as create_exc:
            if create_exc.response.get("Error", {}).get("Code") not in (
                "BucketAlreadyOwnedByYou",
                "BucketAlreadyExists",
            ):
                raise


def head_or_none(client: BaseClient, bucket: str, key: str, **params: Any) -> dict[str, Any] | None:
    """HEAD an object; None when it does not exist. `params` go to head_object as they are
    (e.g. ChecksumMode="ENABLED" to get the stored checksum back)."""
    try:
        return client.head_object(Bucket=bucket, Key=key, **params)  # type: ignore[no-any-return]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
