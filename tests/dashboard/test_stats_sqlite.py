"""The statistics queries on SQLite (the dev stack's database): the dialect-specific time
buckets and latencies give the same answers as on MariaDB (test_stats_api.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from keystone_api.db.models import Base
from keystone_api.episodes.models import Episode, EpisodeStatus
from keystone_api.fleet.models import Workstation
from keystone_api.orders.models import Task, TaskStatus
from keystone_api.stats.breakdown import breakdown
from keystone_api.stats.schemas import BreakdownQuery, TrendQuery
from keystone_api.stats.scope import Scope
from keystone_api.stats.summary import period_metrics
from keystone_api.stats.trend import trend
from keystone_api.sync.models import EpisodeSync, SyncState

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
SCOPE = Scope(factory_id="f1", collector_id=None, filters={})


def _episode(n: int, landed: datetime, status: EpisodeStatus, **extra: object) -> Episode:
    refs = {k: "x" for k in ("order_id", "batch_id", "workstation_id", "scene_id")}
    refs |= {"subscene_id": "x", "sop_id": "x"}
    return Episode(
        id=f"e{n}",
        task_id=f"t{n}",
        factory_id="f1",
        status=status,
        bucket="b",
        mcap_key=f"k{n}",
        mcap_size_bytes=100,
        duration_s=60.0,
        landed_at=landed,
        **refs,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def session() -> Iterator[Session]:
    # Foreign keys are off (SQLite's default): the rows here need no registries behind them.
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(
            [
                _episode(
                    1,
                    T0 + timedelta(minutes=5),
                    EpisodeStatus.auto_approved,
                    qa_passed=True,
                    qa_score=1.0,
                    approved_at=T0 + timedelta(minutes=6),
                ),
                _episode(
                    2,
                    T0 + timedelta(minutes=50),
                    EpisodeStatus.needs_inspection,
                    qa_passed=False,
                    qa_score=0.5,
                ),
                _episode(3, T0 + timedelta(hours=20), EpisodeStatus.rejected, qa_score=0.2),
                _episode(4, T0 - timedelta(hours=30), EpisodeStatus.pending_qa),
            ]
        )
        s.add(
            EpisodeSync(
                episode_id="e1",
                state=SyncState.synced,
                approved_at=T0 + timedelta(minutes=6),
                synced_at=T0 + timedelta(minutes=6, seconds=42),
            )
        )
        s.add(Workstation(id="x", factory_id="f1", name="WS-00"))  # tasks' factory
        s.add_all(
            Task(
                id=f"t{n}",
                order_id="x",
                batch_id="x",
                workstation_id="x",
                sop_id="x",
                status=status,
                updated_at=at,
                version=1,
            )
            for n, status, at in [
                (1, TaskStatus.completed, T0 + timedelta(minutes=5)),
                (2, TaskStatus.failed, T0 + timedelta(minutes=7)),
            ]
        )
        s.commit()
        yield s
    engine.dispose()


def test_hour_buckets_and_rates(session: Session) -> None:
    q = TrendQuery(start=T0 - timedelta(hours=1), end=T0 + timedelta(hours=2), granularity="hour")
    items = trend(session, SCOPE, q).items
    assert [i.start for i in items] == [T0 + timedelta(hours=h) for h in (-1, 0, 1)]
    hour = items[1]
    assert (hour.episodes, hour.auto_approved, hour.needs_inspection) == (2, 1, 1)
    assert (hour.qa_pass_rate, hour.synced, hour.avg_qa_score) == (0.5, 1, 0.75)
    assert (hour.tasks_completed, hour.tasks_failed, hour.upload_success_rate) == (1, 1, 0.5)


def test_local_days_weeks_and_months(session: Session) -> None:
    # At UTC+05:00, episode 3 (T0 + 20 h = 06:00 local next day) falls on Tuesday.
    q = TrendQuery(
        start=T0 - timedelta(days=2),
        end=T0 + timedelta(days=2),
        granularity="day",
        tz_offset_minutes=300,
    )
    days = {i.label: i.episodes for i in trend(session, SCOPE, q).items}
    assert days == {
        "2026-02-28": 0,
        "2026-03-01": 1,
        "2026-03-02": 2,
        "2026-03-03": 1,
        "2026-03-04": 0,
    }
    q = q.model_copy(update={"granularity": "week"})
    assert [(i.label, i.episodes) for i in trend(session, SCOPE, q).items] == [
        ("2026-02-23", 1),
        ("2026-03-02", 3),
    ]
    q = q.model_copy(update={"granularity": "month"})
    assert [(i.label, i.episodes) for i in trend(session, SCOPE, q).items] == [
        ("2026-02-01", 0),
        ("2026-03-01", 4),
    ]


def test_summary_latency_and_breakdown(session: Session) -> None:
    metrics = period_metrics(session, SCOPE, T0, T0 + timedelta(days=1))
    assert (metrics.episodes, metrics.rejected, metrics.hours_recorded) == (3, 1, 0.05)
    assert metrics.sync_latency_avg_s == pytest.approx(42.0, abs=0.01)
    assert metrics.sync_latency_p95_s == pytest.approx(42.0, abs=0.01)
    q = BreakdownQuery(start=T0, end=T0 + timedelta(days=1), dimension="sync_state")
    got = {i.key: i.episodes for i in breakdown(session, SCOPE, q).items}
    assert got == {"synced": 1, "not_queued": 2}
