"""The small parts, on SQLite: partition stats and queue depth (what the Dagster sync asset
and check read), the sender's metrics, the backoff, the replica outbox's event, and what a
failed attempt leaves in the row."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from keystone_api.db.models import Base
from keystone_api.registry.models import Organization
from keystone_api.settings import get_settings
from keystone_api.sync import metrics
from keystone_api.sync.backoff import full_jitter
from keystone_api.sync.errors import CloudUnavailable, EdgeObjectError
from keystone_api.sync.models import EpisodeSync, ReplicaOutbox, SyncAttempt, SyncState
from keystone_api.sync.outcomes import record_failure
from keystone_api.sync.replicas import pending_changes
from keystone_api.sync.stats import partition_stats, sync_queue_depth

HOUR = datetime(2026, 11, 27, 8, tzinfo=UTC)


@pytest.fixture
def sessions() -> Iterator[sessionmaker[Session]]:
    engine = create_engine("sqlite://")
    event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA foreign_keys=OFF"))
    Base.metadata.create_all(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def _rows(session: Session) -> None:
    states = [
        (SyncState.synced, 0),
        (SyncState.synced, 10),
        (SyncState.queued, 20),
        (SyncState.uploading, 30),
        (SyncState.failed, 40),
        (SyncState.waiting, 50),
        (SyncState.queued, 70),  # the next hour
    ]
    for n, (state, minute) in enumerate(states):
        session.add(
            EpisodeSync(
                episode_id=f"ep-{n}",
                state=state,
                approved_at=HOUR + timedelta(minutes=minute),
                bytes_total=100,
            )
        )


def test_partition_stats_and_queue_depth(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _rows(session)
    with sessions() as session:
        stats = partition_stats(session, HOUR, HOUR + timedelta(hours=1))
        assert (stats.total, stats.synced, stats.pending, stats.failed, stats.waiting) == (
            6,
            2,
            2,
            1,
            1,
        )
        assert stats.bytes_total == 600
        assert stats.oldest_pending_approved_at == HOUR + timedelta(minutes=20)
        assert stats.as_metadata()["start"] == HOUR.isoformat()
        # queued and uploading (both hours); the failed one waits for a person, not in it
        assert sync_queue_depth(session) == 3


def test_sender_metrics_register_under_their_own_names() -> None:
    registry = CollectorRegistry()
    metrics.register(registry)
    metrics.RETRIES.labels("CloudUnavailable").inc()
    metrics.LATENCY.observe(12.0)
    retries = registry.get_sample_value(
        "keystone_sync_sender_retries_total", {"reason": "CloudUnavailable"}
    )
    assert retries is not None and retries >= 1
    latency = registry.get_sample_value("keystone_sync_sender_latency_seconds_count")
    assert latency is not None and latency >= 1


def test_backoff_is_full_jitter_capped() -> None:
    rng = random.Random(3)
    for attempt in range(1, 40):
        ceiling = min(30.0, 1.0 * 2 ** (attempt - 1))
        delays = [full_jitter(attempt, 1.0, 30.0, rng) for _ in range(50)]
        assert all(0.0 <= d <= ceiling for d in delays)
    late = [full_jitter(20, 1.0, 30.0, rng) for _ in range(500)]
    assert max(late) <= 30.0 and min(late) < 5.0  # jitter spreads retries over the window


def test_every_change_of_a_replicated_record_lands_in_the_outbox(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        org = Organization(name="Acme", description="first")
        session.add(org)
    with sessions.begin() as session:
        session.get(Organization, org.id).description = "second"  # type: ignore[union-attr]
    with sessions() as session:
        outbox = session.execute(select(ReplicaOutbox).order_by(ReplicaOutbox.id)).scalars()
        assert [(r.kind, r.record_id, r.version) for r in outbox] == [
            ("organization", org.id, 1),
            ("organization", org.id, 2),
        ]
        ids, records = pending_changes(session, limit=10)
        assert len(ids) == 2 and len(records) == 1  # one push of the current state
        assert records[0]["version"] == 2 and records[0]["data"]["description"] == "second"
        assert set(records[0]["data"]) == {
            "id",
            "name",
            "description",
            "archived_at",
            "created_at",
            "updated_at",
        }  # metadata only


@pytest.mark.parametrize(
    ("exc", "state", "outcome"),
    [
        (CloudUnavailable("receiver answered 503"), SyncState.uploading, "error"),
        (EdgeObjectError("the edge sidecar is refused: NaN"), SyncState.failed, "failed"),
    ],
)
def test_what_a_failure_leaves_in_the_row(
    sessions: sessionmaker[Session], exc: Exception, state: SyncState, outcome: str
) -> None:
    approved = datetime(2026, 12, 1, 8, tzinfo=UTC)
    with sessions.begin() as session:
        session.add(
            EpisodeSync(
                episode_id="ep-1",
                state=SyncState.uploading,
                approved_at=approved,
                claimed_by="me",
                claimed_until=approved,
            )
        )
    with sessions.begin() as session:
        row = session.get(EpisodeSync, "ep-1")
        assert row is not None
        record_failure(session, get_settings(), row, "me", exc, 0.1)
    with sessions() as session:
        row = session.get(EpisodeSync, "ep-1")
        assert row is not None and row.state == state and row.attempts == 1
        # Transient: a next attempt (backoff). Permanent: none until a person re-queues.
        assert (row.next_attempt_at is None) == (state == SyncState.failed)
        assert str(exc) in (row.last_error or "")
        assert [a.outcome for a in session.query(SyncAttempt)] == [outcome]
