"""Checking a delivery's objects in the cloud bucket against its checksums.

MCAP: a HEAD with ChecksumMode=ENABLED. An object uploaded in one PUT has the store's own
full-object SHA-256 (computed and checked by the store on upload): compared, zero bytes
read. A multipart object only has a composite checksum (a hash of the parts' hashes),
which cannot be compared with a file's SHA-256, so it is read once, streaming, and hashed
here; that happens on first delivery only (a repeat is answered from the database).
The sender's `checksum-sha256` user metadata is a cheap early refusal, never a proof.
Sidecar: small, always read; its bytes must hash to the checksum and parse to the JSON the
delivery carries.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.client import BaseClient

from keystone_api.cloud.schemas import EpisodeDelivery
from keystone_api.errors import Invalid
from keystone_api.storage.s3 import head_or_none

MAX_SIDECAR_BYTES = 16 * 1024 * 1024
READ_CHUNK = 8 * 1024 * 1024
READ_AHEAD = 4


class ObjectMissing(Invalid):
    code = "object_missing"


class ChecksumMismatch(Invalid):
    code = "checksum_mismatch"


class SidecarMismatch(Invalid):
    code = "sidecar_mismatch"


@dataclass(frozen=True)
class Verified:
    mcap_size: int
    sidecar_size: int
    verified_by: str  # how the MCAP was verified: s3-checksum | read


def _full_object_sha256(head: dict[str, Any]) -> str | None:
    stored = head.get("ChecksumSHA256")
    if not stored or "-" in stored or head.get("ChecksumType") == "COMPOSITE":
        return None
    return base64.b64decode(stored).hex()


def _range(s3: BaseClient, bucket: str, key: str, start: int, end: int) -> bytes:
    body = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{end - 1}")["Body"]
    data: bytes = body.read()
    if len(data) != end - start:
        raise ChecksumMismatch(f"object '{key}' changed while it was being verified")
    return data


def _read_sha256(s3: BaseClient, bucket: str, key: str, size: int) -> str:
    """SHA-256 of a whole object: ranged GETs in parallel (the store's read path is the
    cost), hashed in order; at most READ_AHEAD ranges of READ_CHUNK in memory."""
    digest = hashlib.sha256()
    starts = list(range(0, size, READ_CHUNK))
    with ThreadPoolExecutor(READ_AHEAD, thread_name_prefix="verify") as pool:
        pending: deque[Future[bytes]] = deque()
        for start in starts:
            pending.append(
                pool.submit(_range, s3, bucket, key, start, min(size, start + READ_CHUNK))
            )
            if len(pending) >= READ_AHEAD:
                digest.update(pending.popleft().result())
        while pending:
            digest.update(pending.popleft().result())
    return digest.hexdigest()


def _mismatch(name: str, key: str, expected: str, actual: str, how: str) -> ChecksumMismatch:
    return ChecksumMismatch(
        f"{name} object '{key}' has SHA-256 {actual} ({how}); the delivery says {expected}",
        {"object": name, "key": key, "expected": expected, "actual": actual},
    )


def _head(s3: BaseClient, bucket: str, name: str, key: str) -> dict[str, Any]:
    head = head_or_none(s3, bucket, key, ChecksumMode="ENABLED")
    if head is None:
        raise ObjectMissing(
            f"{name} object '{key}' is not in the cloud bucket", {"object": name, "key": key}
        )
    return head


def verify_mcap(s3: BaseClient, bucket: str, key: str, expected: str) -> tuple[int, str]:
    head = _head(s3, bucket, "mcap", key)
    meta = (head.get("Metadata") or {}).get("checksum-sha256")
    if meta and meta.lower() != expected:
        raise _mismatch("mcap", key, expected, meta.lower(), "upload metadata")
    actual, how = _full_object_sha256(head), "s3-checksum"
    if actual is None:
        actual, how = _read_sha256(s3, bucket, key, int(head["ContentLength"])), "read"
    if actual != expected:
        raise _mismatch("mcap", key, expected, actual, how)
    return int(head["ContentLength"]), how


def verify_sidecar(s3: BaseClient, bucket: str, key: str, expected: str, doc: Any) -> int:
    head = _head(s3, bucket, "sidecar", key)
    size = int(head["ContentLength"])
    if size > MAX_SIDECAR_BYTES:
        raise SidecarMismatch(f"sidecar object is {size} bytes (limit {MAX_SIDECAR_BYTES})")
    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read(MAX_SIDECAR_BYTES + 1)
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise _mismatch("sidecar", key, expected, actual, "read")
    try:
        stored = json.loads(data)
    except ValueError:
        raise SidecarMismatch("sidecar object is not JSON", {"object": "sidecar"}) from None
    if stored != doc:
        raise SidecarMismatch(
            "the delivery's sidecar differs from the sidecar object", {"object": "sidecar"}
        )
    return size


def verify_delivery(s3: BaseClient, bucket: str, body: EpisodeDelivery) -> Verified:
    sidecar_size = verify_sidecar(
        s3, bucket, body.objects.sidecar, body.checksum.sidecar, body.sidecar
    )
    mcap_size, how = verify_mcap(s3, bucket, body.objects.mcap, body.checksum.mcap)
    return Verified(mcap_size, sidecar_size, how)
