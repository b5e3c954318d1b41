"""The daemon's object store uploads: boto3, path-style, its own credentials, 64 MiB parts,
the MCAP with `checksum-sha256` user metadata and the sidecar written last."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

PART_SIZE = 64 * 1024 * 1024
_clients: dict[tuple[str, str, str], Any] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class S3Target:
    endpoint_url: str
    bucket: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    @classmethod
    def from_transfer_yaml(cls, config: dict[str, Any]) -> S3Target:
        s3 = config["uploader"]["s3"]
        return cls(
            s3["endpoint_url"],
            s3["bucket"],
            s3["access_key"],
            s3["secret_key"],
            s3.get("region") or "us-east-1",
        )


def client(target: S3Target) -> Any:
    """One client per endpoint and key (clients are thread-safe and costly to make)."""
    key = (target.endpoint_url, target.access_key, target.region)
    with _lock:
        if key not in _clients:
            _clients[key] = boto3.client(
                "s3",
                endpoint_url=target.endpoint_url,
                aws_access_key_id=target.access_key,
                aws_secret_access_key=target.secret_key,
                region_name=target.region,
                config=Config(
                    s3={"addressing_style": "path"},
                    signature_version="s3v4",
                    max_pool_connections=64,
                    retries={"max_attempts": 3, "mode": "standard"},
                ),
            )
        return _clients[key]


def upload_pair(
    target: S3Target, mcap: Path, sidecar: Path | None, mcap_key: str, sha256: str
) -> None:
    """MCAP first, then HEAD it (the daemon retries on a checksum mismatch), sidecar last:
    the sidecar's arrival means the pair is complete. No sidecar: an MCAP-only upload."""
    s3 = client(target)
    parts = TransferConfig(multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE)
    extra = {"ContentType": "application/octet-stream", "Metadata": {"checksum-sha256": sha256}}
    for _ in range(3):
        s3.upload_file(str(mcap), target.bucket, mcap_key, ExtraArgs=extra, Config=parts)
        head = s3.head_object(Bucket=target.bucket, Key=mcap_key)
        if head.get("Metadata", {}).get("checksum-sha256") == sha256:
            break
    else:
        raise RuntimeError(f"checksum of s3://{target.bucket}/{mcap_key} does not match")
    if sidecar is None:
        return
    sidecar_key = mcap_key[: -len(".mcap")] + ".json"
    s3.upload_file(
        str(sidecar), target.bucket, sidecar_key, ExtraArgs={"ContentType": "application/json"}
    )
