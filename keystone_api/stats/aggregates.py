"""The aggregate columns shared by summary, trend, breakdown and station quality, and
their conversion into the response counts and rates. One GROUP BY pass per question."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, func, select

from keystone_api.episodes.models import Episode, EpisodeStatus
from keystone_api.orders.models import Task, TaskStatus
from keystone_api.stats import rates
from keystone_api.sync.models import EpisodeSync, SyncState

STATUSES = [s.value for s in EpisodeStatus]
EPISODE_RATES = ("qa_pass_rate", "auto_approval_rate", "sync_rate", "avg_qa_score")


def count_if(condition: Any, label: str) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(label)


def episode_columns() -> list[Any]:
    return [
        func.count(Episode.id).label("episodes"),
        func.coalesce(func.sum(Episode.duration_s), 0.0).label("duration_s"),
        func.coalesce(func.sum(Episode.mcap_size_bytes), 0).label("bytes"),
        *(count_if(Episode.status == status, status.value) for status in EpisodeStatus),
        count_if(Episode.qa_passed.is_(True), "qa_passed"),
        count_if(EpisodeSync.state == SyncState.synced, "synced"),
        # Sum and count, not AVG: trend buckets are rolled up (days into weeks) in Python.
        func.coalesce(func.sum(Episode.qa_score), 0.0).label("score_sum"),
        func.count(Episode.qa_score).label("scored"),
    ]


def episode_select(*keys: Any) -> Select[Any]:
    """SELECT keys..., the aggregates FROM episodes (with their sync row, if any)."""
    return (
        select(*keys, *episode_columns())
        .select_from(Episode)
        .outerjoin(EpisodeSync, EpisodeSync.episode_id == Episode.id)
    )


def counts(row: Any) -> dict[str, Any]:
    """A result row of episode_columns() as EpisodeCounts fields (rates: stats/rates.py)."""
    m = row._mapping
    by_status = {s: int(m[s] or 0) for s in STATUSES}
    episodes = int(m["episodes"] or 0)
    n = {
        **by_status,
        "episodes": episodes,
        "assessed": episodes - by_status["pending_qa"],
        "approved": by_status["auto_approved"] + by_status["inspector_approved"],
        "qa_passed": int(m["qa_passed"] or 0),
        "synced": int(m["synced"] or 0),
        "score_sum": float(m["score_sum"] or 0),
        "scored": int(m["scored"] or 0),
    }
    return {
        "episodes": episodes,
        "hours_recorded": round(float(m["duration_s"] or 0) / 3600, 4),
        "bytes": int(m["bytes"] or 0),
        **by_status,
        "approved": n["approved"],
        "qa_passed": n["qa_passed"],
        "synced": n["synced"],
        **{name: rates.value(name, n) for name in EPISODE_RATES},
    }


# Every summable column of episode_columns() and task_columns().
SUMMED = (
    "episodes",
    "duration_s",
    "bytes",
    *STATUSES,
    "qa_passed",
    "synced",
    "score_sum",
    "scored",
    "tasks_completed",
    "tasks_failed",
)


# Tasks that ended in the period: completed (their recording landed) or failed (upload).
# Selected by (status, updated_at), the order of the ix_tasks_status_updated index. The
# state machine leaves an ended task alone (a retried failed task is no longer failed), so
# updated_at is when it ended; a late edit of an ended task would move it, a fair price for
# an index range scan instead of a scan of the transition log.
ENDED = (TaskStatus.completed, TaskStatus.failed)


def task_columns() -> list[Any]:
    return [
        count_if(Task.status == TaskStatus.completed, "tasks_completed"),
        count_if(Task.status == TaskStatus.failed, "tasks_failed"),
    ]


def task_counts(row: Any) -> dict[str, Any]:
    m = row._mapping if row is not None else {}
    n = {"tasks_completed": int(m.get("tasks_completed") or 0)}
    n["tasks_failed"] = int(m.get("tasks_failed") or 0)
    return {**n, "upload_success_rate": rates.value("upload_success_rate", n)}


class Sums:
    """Column sums accumulated in Python (trend roll-ups), readable like a result Row."""

    def __init__(self) -> None:
        self._mapping: dict[str, float] = dict.fromkeys(SUMMED, 0.0)

    def add(self, row: Any) -> None:
        for name, value in row._mapping.items():
            if name in self._mapping and value is not None:
                self._mapping[name] += float(value)
