"""Stream one object from the edge store to the cloud store, verified, resumable.

- Never the whole file in memory: one streaming GET from the edge, cut into parts; at most
  `parts_in_flight` parts exist at once (a semaphore shared by every copy of a drain).
- Every PUT carries x-amz-checksum-sha256 (the store refuses bytes that do not match) and
  the requested server-side encryption; the full-object SHA-256 is computed on the way
  (the bytes pass anyway) and must equal the checksum recorded when the episode landed,
  and it is stored as user metadata `checksum-sha256` (the robots' convention).
- Objects up to one part go in one PUT, so the store keeps their full-object ChecksumSHA256
  and the receiver verifies them without reading a byte. Larger ones go multipart with a
  CRC64NVME per part and for the whole (multipart.py): the store computes the whole
  object's CRC64NVME, the delivery carries the one computed here, and the receiver compares
  them instead of reading the object. The full SHA-256 is proved here, on the same bytes: a
  mismatch aborts the upload before it completes, so no object of other bytes ever exists
  under the key.
- A multipart upload's id is handed to `on_upload_id` (persisted) before any part is sent;
  a restarted sender lists the parts already there, re-reads them from the edge only to
  hash them, and uploads the rest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from botocore.client import BaseClient

from keystone_api.sync.multipart import MultipartCopy
from keystone_api.sync.objects import (
    CHECKSUM_META,
    MIB,
    CopyResult,
    PartBudget,
    Source,
    already_in_cloud,
    b64,
    check_sse,
    mismatch,
    open_source,
    part_size_for,
    read_exactly,
    sse_args,
)

__all__ = ["CopyResult", "PartBudget", "Source", "copy_to_cloud", "put_bytes", "sha256_of"]


def copy_to_cloud(
    edge: BaseClient,
    cloud: BaseClient,
    src: Source,
    bucket: str,
    key: str,
    *,
    budget: PartBudget,
    part_size: int,
    sse: str,
    content_type: str,
    upload_id: str | None,
    on_upload_id: Callable[[str | None], None],
    on_progress: Callable[[int], None],
    priority: float = 0.0,
) -> CopyResult:
    """Copy `src` to the cloud; `priority` orders the part budget (lower goes first)."""
    if already_in_cloud(cloud, bucket, key, src, sse):
        on_progress(src.size)
        return CopyResult(src.sha256, src.size, 0, multipart=False)
    part = part_size_for(src.size, part_size)
    if src.size <= part:
        with budget.slot(priority):
            return _single(edge, cloud, src, bucket, key, sse, content_type, on_progress)
    upload = MultipartCopy(
        edge, cloud, src, bucket, key, budget, part, sse, on_progress, priority=priority
    )
    return upload.run(upload_id, content_type, on_upload_id)


def _single(
    edge: BaseClient,
    cloud: BaseClient,
    src: Source,
    bucket: str,
    key: str,
    sse: str,
    content_type: str,
    on_progress: Callable[[int], None],
) -> CopyResult:
    """One PUT (the caller holds a budget slot: at most one part's bytes in memory)."""
    data = read_exactly(open_source(edge, src), src.size) if src.size else b""
    digest = hashlib.sha256(data).digest()
    if digest.hex() != src.sha256:
        raise mismatch(src, digest.hex())
    answer = cloud.put_object(
        Bucket=bucket,
        Key=key,
        Body=data,
        ChecksumSHA256=b64(digest),
        Metadata={CHECKSUM_META: src.sha256},
        ContentType=content_type,
        **sse_args(sse),
    )
    check_sse(answer, sse, key)
    on_progress(src.size)
    return CopyResult(src.sha256, src.size, src.size, multipart=False)


def put_bytes(
    cloud: BaseClient, bucket: str, key: str, data: bytes, *, sse: str, content_type: str
) -> int:
    """A small object already in memory (the sidecar); returns the bytes sent (0 if there)."""
    digest = hashlib.sha256(data).digest()
    src = Source("", key, len(data), digest.hex())
    if already_in_cloud(cloud, bucket, key, src, sse):
        return 0
    answer = cloud.put_object(
        Bucket=bucket,
        Key=key,
        Body=data,
        ChecksumSHA256=b64(digest),
        Metadata={CHECKSUM_META: digest.hex()},
        ContentType=content_type,
        **sse_args(sse),
    )
    check_sse(answer, sse, key)
    return len(data)


def sha256_of(edge: BaseClient, src: Source) -> str:
    """Hash an edge object by a streaming read (only for recordings that landed without a
    checksum: the content-addressed cloud key needs the digest before the upload)."""
    body = open_source(edge, src)
    digest = hashlib.sha256()
    try:
        while chunk := body.read(8 * MIB):
            digest.update(chunk)
    finally:
        body.close()
    return digest.hexdigest()
