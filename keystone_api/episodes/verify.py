"""Verify a landed pair in the object store before it becomes an episode.

HEAD the MCAP (size, the uploader's `x-amz-meta-checksum-sha256`), read the sidecar
(bounded), and check they agree with each other and with the task's finish callback.
A pair that does not verify is never registered and never ACKed to the robot.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from botocore.client import BaseClient

from keystone_api.episodes.landing import LandedRecording
from keystone_api.errors import Invalid
from keystone_api.storage.layout import RecordingKey
from keystone_api.storage.s3 import head_or_none

MAX_SIDECAR_BYTES = 4 * 1024 * 1024
CHECKSUM_META = "checksum-sha256"


class VerificationFailed(Invalid):
    """The pair is incomplete or inconsistent; `reason` is a short machine-readable code."""

    code = "verification_failed"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}", {"reason": reason})
        self.reason = reason


def _sidecar(client: BaseClient, bucket: str, key: str, size: int) -> tuple[dict[str, Any], str]:
    if size > MAX_SIDECAR_BYTES:
        raise VerificationFailed(
            "bad_sidecar", f"sidecar is {size} bytes (limit {MAX_SIDECAR_BYTES})"
        )
    raw = client.get_object(Bucket=bucket, Key=key)["Body"].read(MAX_SIDECAR_BYTES + 1)
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VerificationFailed("bad_sidecar", f"sidecar is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise VerificationFailed("bad_sidecar", "sidecar is not a JSON object")
    return data, hashlib.sha256(raw).hexdigest()


def _section(doc: dict[str, Any], name: str) -> dict[str, Any]:
    value = doc.get(name)
    return value if isinstance(value, dict) else {}


def verify_pair(
    client: BaseClient,
    bucket: str,
    key: RecordingKey,
    finish_callback: dict[str, Any] | None = None,
    expected_sha256: str | None = None,
    source: str = "unknown",
) -> LandedRecording:
    mcap = head_or_none(client, bucket, key.mcap_key)
    if mcap is None:
        raise VerificationFailed("missing_mcap", f"s3://{bucket}/{key.mcap_key} does not exist")
    side = head_or_none(client, bucket, key.sidecar_key)
    if side is None:
        raise VerificationFailed(
            "missing_sidecar", f"s3://{bucket}/{key.sidecar_key} does not exist"
        )
    size = int(mcap["ContentLength"])
    stored_sha = (mcap.get("Metadata") or {}).get(CHECKSUM_META)
    stored_sha = stored_sha.lower() if isinstance(stored_sha, str) else None
    sidecar, sidecar_sha = _sidecar(client, bucket, key.sidecar_key, int(side["ContentLength"]))
    rec: dict[str, Any] = _section(sidecar, "recording")
    task: dict[str, Any] = _section(sidecar, "task")
    if task.get("task_id") not in (None, "", key.task_id):
        raise VerificationFailed(
            "task_mismatch", f"sidecar is for task '{task.get('task_id')}', key for '{key.task_id}'"
        )
    side_sha = rec.get("checksum_sha256")
    if isinstance(side_sha, str) and side_sha and stored_sha and side_sha.lower() != stored_sha:
        raise VerificationFailed(
            "checksum_mismatch", f"object checksum {stored_sha} != sidecar checksum {side_sha}"
        )
    if expected_sha256 and stored_sha and expected_sha256.lower() != stored_sha:
        raise VerificationFailed(
            "checksum_mismatch", f"object checksum {stored_sha} != robot's {expected_sha256}"
        )
    side_size = rec.get("file_size_bytes")
    if isinstance(side_size, int) and side_size and side_size != size:
        raise VerificationFailed(
            "size_mismatch", f"object is {size} bytes, sidecar says {side_size}"
        )
    cb_size = (finish_callback or {}).get("file_size_bytes")
    if isinstance(cb_size, int) and cb_size and cb_size != size:
        raise VerificationFailed(
            "size_mismatch", f"object is {size} bytes, finish callback said {cb_size}"
        )
    return LandedRecording(
        task_id=key.task_id,
        bucket=bucket,
        mcap_key=key.mcap_key,
        mcap_size_bytes=size,
        checksum_sha256=stored_sha
        or (side_sha.lower() if isinstance(side_sha, str) and side_sha else None),
        sidecar_key=key.sidecar_key,
        sidecar_size_bytes=int(side["ContentLength"]),
        sidecar_sha256=sidecar_sha,
        sidecar=sidecar,
        landed_at=side["LastModified"],
        source=source,
    )
