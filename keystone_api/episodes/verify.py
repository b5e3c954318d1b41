"""Verify a landed pair in the object store before it becomes an episode.

HEAD the MCAP (size, the uploader's `x-amz-meta-checksum-sha256`), read the sidecar
(bounded, strict JSON), and check they agree with each other and with the task's finish
callback. A pair that does not verify is never registered and never ACKed to the robot.

The ACK makes the robot delete its copy, so the recording's SHA-256 must be established
before it: from the store's full-object SHA-256 (the uploader's checksum header, checked by
the store against the bytes; zero bytes read), else from the upload's checksum metadata
(the robot's own hash of its file, as before), else by reading the object once (streaming,
bounded memory); and every other statement (metadata, sidecar, the robot's report) must
match it. Reading costs one pass over the file (~3 s for 4 GB) and happens only for uploads
that carried no checksum, before their ACK; a rarity, and the only way not to lose a
recording whose bytes were damaged in transit. When nothing states a checksum at all there
is nothing to compare the bytes with: refused with that reason, never ACKed unverified.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.client import BaseClient

from keystone_api.db.base import utcnow
from keystone_api.episodes.embedded_sidecar import EmbeddedSidecarMissing, embedded_sidecar
from keystone_api.episodes.sidecar import SidecarInvalid, parse_sidecar
from keystone_api.errors import Invalid
from keystone_api.storage.digest import (
    CHECKSUM_META,
    ObjectChanged,
    full_object_sha256,
    read_sha256,
)
from keystone_api.storage.layout import RecordingKey
from keystone_api.storage.s3 import head_or_none

MAX_SIDECAR_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class LandedRecording:
    """A pair that verified: what registration turns into an episode."""

    task_id: str
    bucket: str
    mcap_key: str
    mcap_size_bytes: int
    checksum_sha256: str | None  # the MCAP's verified SHA-256
    sidecar_key: str | None = None
    sidecar_size_bytes: int = 0
    sidecar_sha256: str | None = None
    sidecar: dict[str, Any] | None = None
    landed_at: datetime = field(default_factory=utcnow)
    source: str = "unknown"  # transfer | sensor | api


class VerificationFailed(Invalid):
    """The pair is incomplete or inconsistent; `reason` is a short machine-readable code."""

    code = "verification_failed"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}", {"reason": reason})
        self.reason = reason


class _Digests:
    """SHA-256s this process read, by object version (key, ETag, size, time): a robot that
    keeps reporting an unACKed upload is verified again every few seconds, and a whole
    recording must not be read again each time."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[tuple[Any, ...], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: tuple[Any, ...]) -> str | None:
        with self._lock:
            return self._items.get(version)

    def put(self, version: tuple[Any, ...], digest: str) -> None:
        with self._lock:
            self._items[version] = digest
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_digests = _Digests()


def _sidecar(client: BaseClient, bucket: str, key: str, size: int) -> tuple[dict[str, Any], str]:
    if size > MAX_SIDECAR_BYTES:
        raise VerificationFailed(
            "bad_sidecar", f"sidecar is {size} bytes (limit {MAX_SIDECAR_BYTES})"
        )
    raw = client.get_object(Bucket=bucket, Key=key)["Body"].read(MAX_SIDECAR_BYTES + 1)
    try:
        data = parse_sidecar(raw)
    except SidecarInvalid as exc:
        raise VerificationFailed("bad_sidecar", f"sidecar is refused: {exc}") from None
    return data, hashlib.sha256(raw).hexdigest()


def _embedded(client: BaseClient, bucket: str, key: str) -> dict[str, Any]:
    try:
        return embedded_sidecar(client, bucket, key)
    except EmbeddedSidecarMissing as exc:
        raise VerificationFailed("no_sidecar", f"MCAP-only upload refused: {exc}") from None


def _section(doc: dict[str, Any], name: str) -> dict[str, Any]:
    value = doc.get(name)
    return value if isinstance(value, dict) else {}


def _read_once(client: BaseClient, bucket: str, key: str, head: dict[str, Any], read: bool) -> str:
    """The MCAP's SHA-256 from reading it (once per object version in this process)."""
    size = int(head["ContentLength"])
    version = (bucket, key, head.get("ETag"), size, head.get("LastModified"))
    cached = _digests.get(version)
    if cached is not None:
        return cached
    if not read:
        raise VerificationFailed(
            "needs_read",
            f"s3://{bucket}/{key} carries no checksum metadata and the store keeps no "
            "SHA-256 of it: it must be read whole to be verified (the transfer gateway "
            "does that before it ACKs)",
        )
    try:
        digest = read_sha256(client, bucket, key, size)
    except ObjectChanged as exc:
        raise VerificationFailed("object_changed", str(exc)) from None
    _digests.put(version, digest)
    return digest


def _claims(sidecar_sha: Any, expected: str | None) -> dict[str, str]:
    """What others say the recording's SHA-256 is."""
    out = {}
    if isinstance(sidecar_sha, str) and sidecar_sha:
        out["sidecar"] = sidecar_sha.lower()
    if expected:
        out["robot's"] = expected.lower()
    return out


def _checksum(
    client: BaseClient,
    bucket: str,
    key: RecordingKey,
    head: dict[str, Any],
    claims: dict[str, str],
    read: bool,
) -> str:
    """The recording's verified SHA-256: every claim must match the stored bytes'."""
    meta = (head.get("Metadata") or {}).get(CHECKSUM_META)
    meta = meta.lower() if isinstance(meta, str) and meta else None
    stored = full_object_sha256(head)
    if stored is not None:
        # The uploader's checksum header, checked by the store against the bytes it kept.
        actual, how = stored, "stored SHA-256"
        claims = {"object metadata": meta, **claims} if meta else claims
    elif meta is not None:
        actual, how = meta, "object checksum"  # the robot's own hash of its file
    elif not claims:
        raise VerificationFailed(
            "no_checksum",
            f"nothing states the SHA-256 of s3://{bucket}/{key.mcap_key} (no checksum on "
            "the upload, none in the sidecar or the robot's report): its bytes cannot be "
            "verified, so it is not acknowledged",
        )
    else:
        actual = _read_once(client, bucket, key.mcap_key, head, read)
        how = "stored bytes' SHA-256"
    for who, claimed in claims.items():
        if claimed != actual:
            raise VerificationFailed("checksum_mismatch", f"{how} {actual} != {who} {claimed}")
    return actual


def verify_pair(
    client: BaseClient,
    bucket: str,
    key: RecordingKey,
    finish_callback: dict[str, Any] | None = None,
    expected_sha256: str | None = None,
    source: str = "unknown",
    read: bool = True,
    complete: bool = False,
) -> LandedRecording:
    """`read=False`: never read a whole recording (the sensor's ticks must stay short); a
    pair that would need it is refused as `needs_read`, not failed.

    `complete`: the uploader said it uploaded all it will (the daemon's upload_complete,
    or a task it waits to have ACKed). It uploads a sidecar before it says so, so a
    missing one then means an MCAP-only upload: its facts come from the MCAP itself."""
    mcap = head_or_none(client, bucket, key.mcap_key, ChecksumMode="ENABLED")
    if mcap is None:
        raise VerificationFailed("missing_mcap", f"s3://{bucket}/{key.mcap_key} does not exist")
    side = head_or_none(client, bucket, key.sidecar_key)
    if side is None and not complete:
        raise VerificationFailed(
            "missing_sidecar", f"s3://{bucket}/{key.sidecar_key} does not exist"
        )
    size = int(mcap["ContentLength"])
    if side is None:
        sidecar, sidecar_sha = _embedded(client, bucket, key.mcap_key), None
    else:
        sidecar, sidecar_sha = _sidecar(client, bucket, key.sidecar_key, int(side["ContentLength"]))
    rec: dict[str, Any] = _section(sidecar, "recording")
    task: dict[str, Any] = _section(sidecar, "task")
    if task.get("task_id") not in (None, "", key.task_id):
        raise VerificationFailed(
            "task_mismatch", f"sidecar is for task '{task.get('task_id')}', key for '{key.task_id}'"
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
    claims = _claims(rec.get("checksum_sha256"), expected_sha256)
    checksum = _checksum(client, bucket, key, mcap, claims, read)
    return LandedRecording(
        task_id=key.task_id,
        bucket=bucket,
        mcap_key=key.mcap_key,
        mcap_size_bytes=size,
        checksum_sha256=checksum,
        sidecar_key=key.sidecar_key if side is not None else None,
        sidecar_size_bytes=int(side["ContentLength"]) if side is not None else 0,
        sidecar_sha256=sidecar_sha,
        sidecar=sidecar,
        landed_at=(side or mcap)["LastModified"],
        source=source,
    )
