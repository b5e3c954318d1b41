"""The SHA-256 of a stored object: the store's own full-object checksum when it kept one
(zero bytes read), else one streaming read.

Shared by the landing verification (an upload that carried no checksum metadata, before
its ACK) and the cloud receiver (a delivery whose object the store cannot vouch for).
"""

from __future__ import annotations

import hashlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from botocore.client import BaseClient

from keystone_pipelines.validator.sources import normalize_sha256

# The user metadata (x-amz-meta-checksum-sha256) in which an uploader states its object's
# SHA-256 in hex: the robots' uploads, the sync sender's copies to the cloud.
CHECKSUM_META = "checksum-sha256"
READ_CHUNK = 8 * 1024 * 1024
READ_AHEAD = 4


class ObjectChanged(Exception):
    """The object's length changed while it was being read (overwritten meanwhile)."""


def full_object_sha256(head: dict[str, Any]) -> str | None:
    """The store's SHA-256 of the whole object (hex), from a HEAD with ChecksumMode=ENABLED;
    None for a multipart object's composite checksum (a checksum of part checksums)."""
    if head.get("ChecksumType") == "COMPOSITE":
        return None
    return normalize_sha256(head.get("ChecksumSHA256"))  # None for a "...-N" composite


def _range(s3: BaseClient, bucket: str, key: str, start: int, end: int) -> bytes:
    body = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{end - 1}")["Body"]
    data: bytes = body.read()
    if len(data) != end - start:
        raise ObjectChanged(f"object '{key}' changed while it was being verified")
    return data


def read_sha256(s3: BaseClient, bucket: str, key: str, size: int) -> str:
    """SHA-256 of a whole object: ranged GETs in parallel (the store's read path is the
    cost), hashed in order; at most READ_AHEAD ranges of READ_CHUNK in memory."""
    digest = hashlib.sha256()
    with ThreadPoolExecutor(READ_AHEAD, thread_name_prefix="digest") as pool:
        pending: deque[Future[bytes]] = deque()
        for start in range(0, size, READ_CHUNK):
            pending.append(
                pool.submit(_range, s3, bucket, key, start, min(size, start + READ_CHUNK))
            )
            if len(pending) >= READ_AHEAD:
                digest.update(pending.popleft().result())
        while pending:
            digest.update(pending.popleft().result())
    return digest.hexdigest()
