"""Checking a delivery's objects in the cloud bucket against its checksums.

MCAP, by a HEAD with ChecksumMode=ENABLED, zero bytes read when the store can vouch:
- one PUT: the store kept its own full-object SHA-256 (computed and checked on upload);
  compared with the delivery's;
- multipart: the store kept a FULL_OBJECT CRC64NVME, computed from every part it accepted
  (each part's own CRC checked against its bytes); it must equal the delivery's
  `mcap_crc64nvme`, which the sender computed from the same bytes as their SHA-256. The
  sender aborts the upload (the object never exists) when that SHA-256 differs from the
  recording's, and the object's `checksum-sha256` metadata, written when the upload was
  created, must name the delivery's SHA-256. So: edge bytes -> SHA-256 and CRC (sender),
  CRC -> stored object (store), each link checked by another party. The CRC guards against
  corruption, not forgery: a forger would need the service token, and could then upload any
  bytes with their true SHA-256 anyway.
- otherwise (no CRC in the delivery, no checksum metadata, a store that keeps neither): the
  object is read once, streaming, and hashed here; first delivery only (a repeat is
  answered from the database).
Sidecar: small, always read; its bytes must hash to the checksum and parse to the JSON the
delivery carries.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from botocore.client import BaseClient

from keystone_api.cloud.schemas import EpisodeDelivery
from keystone_api.episodes.sidecar import SidecarInvalid, parse_sidecar
from keystone_api.errors import Invalid
from keystone_api.storage.digest import (
    CHECKSUM_META,
    ObjectChanged,
    full_object_sha256,
    read_sha256,
)
from keystone_api.storage.s3 import head_or_none

MAX_SIDECAR_BYTES = 16 * 1024 * 1024


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
    verified_by: str  # how the MCAP was verified: s3-checksum | s3-crc64nvme | read


def _full_object_crc64(head: dict[str, Any]) -> str | None:
    if head.get("ChecksumType") not in (None, "FULL_OBJECT"):
        return None
    stored = head.get("ChecksumCRC64NVME")
    return stored if stored and "-" not in stored else None


def _read_sha256(s3: BaseClient, bucket: str, key: str, size: int) -> str:
    try:
        return read_sha256(s3, bucket, key, size)
    except ObjectChanged as exc:
        raise ChecksumMismatch(str(exc), {"object": "mcap", "key": key}) from None


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


def verify_mcap(
    s3: BaseClient, bucket: str, key: str, expected: str, crc64: str | None = None
) -> tuple[int, str]:
    head = _head(s3, bucket, "mcap", key)
    size = int(head["ContentLength"])
    meta = (head.get("Metadata") or {}).get(CHECKSUM_META)
    if meta and meta.lower() != expected:
        raise _mismatch("mcap", key, expected, meta.lower(), "upload metadata")
    stored_crc = _full_object_crc64(head)
    # The CRC path also needs the object's own claim of its full SHA-256 (metadata written
    # when the upload was created, checked equal above): without it, read.
    if stored_crc is not None and crc64 and meta:
        if stored_crc != crc64:
            raise ChecksumMismatch(
                f"mcap object '{key}' has CRC64NVME {stored_crc} (the store's); the delivery "
                f"says {crc64}",
                {"object": "mcap", "key": key, "expected": crc64, "actual": stored_crc},
            )
        return size, "s3-crc64nvme"
    actual, how = full_object_sha256(head), "s3-checksum"
    if actual is None:
        actual, how = _read_sha256(s3, bucket, key, size), "read"
    if actual != expected:
        raise _mismatch("mcap", key, expected, actual, how)
    return size, how


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
        # Strict: what the cloud records must be JSON every later reader can parse.
        stored = parse_sidecar(data)
    except SidecarInvalid as exc:
        raise SidecarMismatch(f"sidecar object is refused: {exc}", {"object": "sidecar"}) from None
    if stored != doc:
        raise SidecarMismatch(
            "the delivery's sidecar differs from the sidecar object", {"object": "sidecar"}
        )
    return size


def verify_delivery(s3: BaseClient, bucket: str, body: EpisodeDelivery) -> Verified:
    sidecar_size = verify_sidecar(
        s3, bucket, body.objects.sidecar, body.checksum.sidecar, body.sidecar
    )
    mcap_size, how = verify_mcap(
        s3, bucket, body.objects.mcap, body.checksum.mcap, body.checksum.mcap_crc64nvme
    )
    return Verified(mcap_size, sidecar_size, how)
