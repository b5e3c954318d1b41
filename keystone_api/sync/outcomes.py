"""What a send attempt leaves in the database: the row's new state and one attempt line."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.settings import Settings
from keystone_api.sync import metrics
from keystone_api.sync.backoff import full_jitter
from keystone_api.sync.errors import SyncError
from keystone_api.sync.job import Prepared
from keystone_api.sync.link import Delivered
from keystone_api.sync.models import EpisodeSync, SyncAttempt, SyncState
from keystone_api.sync.queue_claims import update_claimed


def _attempt(
    session: Session,
    episode_id: str,
    outcome: str,
    *,
    http_status: int | None = None,
    error: str | None = None,
    bytes_sent: int = 0,
    duration_s: float | None = None,
) -> None:
    session.add(
        SyncAttempt(
            episode_id=episode_id,
            at=utcnow(),
            outcome=outcome,
            http_status=http_status,
            error=error[:4000] if error else None,
            bytes_sent=bytes_sent,
            duration_s=duration_s,
        )
    )


def record_delivered(
    session: Session,
    row: EpisodeSync,
    worker: str,
    prepared: Prepared,
    delivered: Delivered,
    duration_s: float,
) -> bool:
    """The cloud has the episode (202, or 409 with the same checksums): synced."""
    now = utcnow()
    first = row.synced_at is None
    done = update_claimed(
        session,
        row.episode_id,
        worker,
        now,
        state=SyncState.synced,
        synced_at=delivered.synced_at,
        attempts=EpisodeSync.attempts + 1,
        next_attempt_at=None,
        last_error=None,
        multipart_upload_id=None,
        bytes_sent=EpisodeSync.bytes_total,
        cloud_mcap_sha256=prepared.body["checksum"]["mcap"],
        cloud_sidecar_sha256=prepared.body["checksum"]["sidecar"],
        claimed_by=None,
        claimed_until=None,
    )
    outcome = "synced" if delivered.status == 202 else "already_synced"
    _attempt(
        session,
        row.episode_id,
        outcome,
        http_status=delivered.status,
        bytes_sent=prepared.transferred,
        duration_s=duration_s,
    )
    metrics.SYNCED.labels(outcome).inc()
    metrics.BYTES.inc(prepared.transferred)
    if done and first:
        metrics.LATENCY.observe(max(0.0, (delivered.synced_at - row.approved_at).total_seconds()))
    return done


def record_failure(
    session: Session,
    settings: Settings,
    row: EpisodeSync,
    worker: str,
    error: Exception,
    duration_s: float,
    bytes_sent: int = 0,
) -> None:
    """Transient: back off (full jitter, capped) and keep the place in the queue; start the
    upload afresh when the cloud's bytes were wrong. Permanent: `failed`, no next attempt
    (retrying cannot fix it), until a person re-queues it."""
    now = utcnow()
    attempts = row.attempts + 1
    permanent = isinstance(error, SyncError) and error.permanent
    restart = isinstance(error, SyncError) and error.restart
    values: dict[str, object] = {
        "attempts": EpisodeSync.attempts + 1,
        "last_error": f"{type(error).__name__}: {error}"[:4000],
        "claimed_by": None,
        "claimed_until": None,
    }
    if permanent:
        values.update(state=SyncState.failed, next_attempt_at=None)
    else:
        delay = full_jitter(attempts, settings.sync_backoff_base_s, settings.sync_backoff_cap_s)
        values["next_attempt_at"] = now + timedelta(seconds=delay)
    if restart:
        values.update(state=SyncState.queued, multipart_upload_id=None, bytes_sent=0)
    update_claimed(session, row.episode_id, worker, now, **values)
    _attempt(
        session,
        row.episode_id,
        "failed" if permanent else "error",
        http_status=error.http_status if isinstance(error, SyncError) else None,
        error=str(values["last_error"]),
        bytes_sent=bytes_sent,
        duration_s=duration_s,
    )
    counter = metrics.FAILED if permanent else metrics.RETRIES
    counter.labels(type(error).__name__).inc()


def release(session: Session, row: EpisodeSync, worker: str) -> None:
    """Give the claim back without an attempt (an earlier episode must register first)."""
    update_claimed(session, row.episode_id, worker, utcnow(), claimed_by=None, claimed_until=None)
