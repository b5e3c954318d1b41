"""One episode's transfer: both objects into the cloud store, and the receiver's payload.

Runs in a worker thread of the drain, with its own short database sessions: the claim is
renewed and the progress (bytes in the cloud) written at most twice a second, and a
multipart upload's id is committed before its first part goes, so a killed sender's
successor resumes it.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.episodes.models import Episode
from keystone_api.episodes.sidecar import SidecarInvalid, parse_sidecar
from keystone_api.episodes.states import APPROVED
from keystone_api.sync.episode_facts import catalog_facts
from keystone_api.sync.errors import BadPayload, ClaimLost, EdgeObjectError
from keystone_api.sync.findings import delivered_findings
from keystone_api.sync.link import CloudLink
from keystone_api.sync.models import EpisodeSync, SyncState
from keystone_api.sync.queue_claims import update_claimed
from keystone_api.sync.transfer import PartBudget, Source, copy_to_cloud, put_bytes, sha256_of

MAX_SIDECAR_BYTES = 16 * 1024 * 1024
PROGRESS_EVERY_S = 0.5


@dataclass(frozen=True)
class Prepared:
    episode_id: str
    approved_at: Any
    body: dict[str, Any]
    transferred: int  # bytes sent in this attempt
    started: float


def cloud_key(factory_id: str, episode_id: str, sha256: str, name: str) -> str:
    # Content-addressed: a key's bytes never change, so a resend or a re-sync can never
    # overwrite what the cloud verified and recorded under another checksum.
    return f"{factory_id}/episodes/{episode_id}/{sha256[:16]}/{name}"


class EpisodeJob:
    def __init__(
        self,
        session_factory: Callable[[], Session],
        link: CloudLink,
        budget: PartBudget,
        worker: str,
        row: EpisodeSync,
    ) -> None:
        self.sessions = session_factory
        self.link = link
        self.settings = link.settings
        self.budget = budget
        self.worker = worker
        self.row = row
        self._lock = threading.Lock()
        self._done = 0
        self._written_at = 0.0

    def _write(self, **values: Any) -> None:
        now = utcnow()
        values["claimed_until"] = now + timedelta(seconds=self.settings.sync_claim_ttl_s)
        with self.sessions() as session, session.begin():
            if not update_claimed(session, self.row.episode_id, self.worker, now, **values):
                raise ClaimLost(f"episode {self.row.episode_id} was taken over by another sender")

    def _progress(self, delta: int, force: bool = False) -> None:
        with self._lock:
            self._done += delta
            if not force and time.monotonic() - self._written_at < PROGRESS_EVERY_S:
                return
            self._written_at = time.monotonic()
            self._write(bytes_sent=self._done)

    def renew(self) -> None:
        self._write()

    def run(self) -> Prepared:
        started = time.monotonic()
        with self.sessions() as session:
            episode = session.get(Episode, self.row.episode_id)
            if episode is None:
                raise EdgeObjectError(f"episode {self.row.episode_id} no longer exists")
            facts = catalog_facts(session, episode)
            session.expunge(episode)
        if episode.status not in APPROVED:
            # Cannot happen through the state machine; never send what is not approved.
            raise EdgeObjectError(f"episode is {episode.status.value}, not approved")
        edge, cloud, bucket = self.link.edge, self.link.cloud, self.settings.cloud_bucket
        sse = self.settings.cloud_s3_sse
        mcap_sha = self._mcap_sha256(episode)
        sidecar = self._sidecar_bytes(episode)
        sidecar_sha = _sha(sidecar)
        try:
            # Strict, before a byte moves: a sidecar that landed before strict parsing (NaN,
            # 1e999, a key twice) can never be delivered, and must say so, not retry.
            sidecar_doc = parse_sidecar(sidecar)
        except SidecarInvalid as exc:
            raise EdgeObjectError(f"the edge sidecar is refused: {exc}") from None
        mcap_key = cloud_key(episode.factory_id, episode.id, mcap_sha, "data.mcap")
        sidecar_key = cloud_key(episode.factory_id, episode.id, sidecar_sha, "sidecar.json")
        self._write(
            state=SyncState.uploading,
            bytes_total=episode.mcap_size_bytes + len(sidecar),
            bytes_sent=0,
            cloud_mcap_sha256=mcap_sha,
        )
        result = copy_to_cloud(
            edge,
            cloud,
            Source(episode.bucket, episode.mcap_key, episode.mcap_size_bytes, mcap_sha),
            bucket,
            mcap_key,
            budget=self.budget,
            part_size=self.settings.sync_part_size_bytes,
            sse=sse,
            content_type="application/octet-stream",
            upload_id=self.row.multipart_upload_id,
            on_upload_id=lambda upload_id: self._write(multipart_upload_id=upload_id),
            on_progress=self._progress,
            priority=self.row.approved_at.timestamp(),
        )
        with self.budget.slot(self.row.approved_at.timestamp()):
            sent = put_bytes(
                cloud, bucket, sidecar_key, sidecar, sse=sse, content_type="application/json"
            )
        self._progress(len(sidecar), force=True)
        checksum = {"mcap": mcap_sha, "sidecar": sidecar_sha}
        if result.crc64nvme:
            # Absent when the object was already complete in the cloud (a resend): the
            # receiver then reads it to verify.
            checksum["mcap_crc64nvme"] = result.crc64nvme
        body: dict[str, Any] = {
            "episode_id": episode.id,
            "factory_id": episode.factory_id,
            "approved_at": (episode.approved_at or self.row.approved_at).isoformat(),
            "sidecar": sidecar_doc,
            "checksum": checksum,
            "objects": {"mcap": mcap_key, "sidecar": sidecar_key},
            "catalog": facts,
        }
        findings = delivered_findings(episode.qa_result)
        if findings:
            # Only when there are some: a receiver older than the field refuses unknown ones.
            body["qa_findings"] = findings
        _check_encodable(body)
        return Prepared(episode.id, self.row.approved_at, body, result.transferred + sent, started)

    def _mcap_sha256(self, episode: Episode) -> str:
        known = episode.checksum_sha256 or self.row.cloud_mcap_sha256
        if known:
            return known.lower()
        src = Source(episode.bucket, episode.mcap_key, episode.mcap_size_bytes, "")
        digest = sha256_of(self.link.edge, src)
        self._write(cloud_mcap_sha256=digest)
        return digest

    def _sidecar_bytes(self, episode: Episode) -> bytes:
        if not episode.sidecar_key:
            # Registered without a sidecar object: send the facts the edge recorded.
            return json.dumps(episode.sidecar or {}, sort_keys=True).encode()
        try:
            obj = self.link.edge.get_object(Bucket=episode.bucket, Key=episode.sidecar_key)
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404", "NotFound"):
                raise EdgeObjectError(f"edge sidecar {episode.sidecar_key} is missing") from None
            raise
        data: bytes = obj["Body"].read(MAX_SIDECAR_BYTES + 1)
        if len(data) > MAX_SIDECAR_BYTES:
            raise EdgeObjectError(f"edge sidecar is larger than {MAX_SIDECAR_BYTES} bytes")
        if episode.sidecar_sha256 and _sha(data) != episode.sidecar_sha256.lower():
            raise EdgeObjectError("edge sidecar changed since it landed (SHA-256 differs)")
        return data


def _check_encodable(body: dict[str, Any]) -> None:
    """The body as the link will send it (strict JSON): a value it cannot encode is this
    episode's data, not the cloud's state, so it fails here and is never a retried outage."""
    try:
        json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise BadPayload(f"the delivery cannot be encoded as JSON: {exc}") from None


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
