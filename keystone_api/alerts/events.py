"""Record an operator event (the Dagster run-failure sensor, gateways, the sync sender), and
the pipeline failures' own life: one event per failed run and its retries, resolved by
the retry that succeeds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.alerts.models import OperatorEvent
from keystone_api.db.base import utcnow

PIPELINE_RUN_FAILED = "pipeline_run_failed"
# Retries come within minutes; a failure older than this is not what a retry answers.
RETRY_HORIZON = timedelta(days=7)
# Unresolved run failures looked at when matching a retry: far more than ever stand open.
MAX_OPEN_FAILURES = 500


def record_event(
    session: Session, kind: str, severity: str, title: str, detail: str = "", **data: Any
) -> OperatorEvent:
    event = OperatorEvent(
        at=utcnow(),
        kind=kind,
        severity=severity,
        title=title[:300],
        detail=detail[:20_000],
        data=data,
    )
    session.add(event)
    return event


def open_run_failure(session: Session, root_run_id: str) -> OperatorEvent | None:
    """The unresolved failure event of the run group that began with `root_run_id`."""
    for event in _open_run_failures(session):
        if (event.data or {}).get("root_run_id") == root_run_id:
            return event
    return None


def record_run_failure(
    session: Session, *, root_run_id: str, run_id: str, title: str, detail: str, **data: Any
) -> OperatorEvent:
    """A failed run: a new event, or, when an earlier attempt of the same run (its retry
    group) is still open, that event brought up to date (one alert per thing that broke)."""
    event = open_run_failure(session, root_run_id)
    if event is None:
        return record_event(
            session,
            PIPELINE_RUN_FAILED,
            "warning",
            title,
            detail,
            root_run_id=root_run_id,
            run_id=run_id,
            failed_runs=[run_id],
            **data,
        )
    previous = dict(event.data or {})
    failed = [*previous.get("failed_runs", []), run_id]
    event.at = utcnow()
    event.title = title[:300]
    event.detail = detail[:20_000]
    # Reassigned, not mutated: the JSON column notices only a new value.
    event.data = {**previous, **data, "run_id": run_id, "failed_runs": failed}
    session.flush()
    return event


def resolve_run_failures(
    session: Session, root_run_id: str, succeeded_run_id: str
) -> list[OperatorEvent]:
    """The open failure events of a run group, resolved by the retry that succeeded."""
    resolved = []
    for event in _open_run_failures(session):
        data = event.data or {}
        if data.get("root_run_id") != root_run_id and data.get("run_id") != root_run_id:
            continue
        event.resolved_at = utcnow()
        event.data = {
            **data,
            "resolved_by": "dagster",
            "resolution_note": f"retry {succeeded_run_id} succeeded",
            "resolved_by_run_id": succeeded_run_id,
        }
        resolved.append(event)
    session.flush()
    return resolved


def _open_run_failures(session: Session) -> list[OperatorEvent]:
    # The group's id is in the JSON data (no column for it, and JSON paths differ between
    # MariaDB and SQLite): the open failures are few, so they are matched here. No lock:
    # a run group's attempts follow one another, and its sensors run one tick at a time.
    return list(
        session.execute(
            select(OperatorEvent)
            .where(
                OperatorEvent.kind == PIPELINE_RUN_FAILED,
                OperatorEvent.resolved_at.is_(None),
                OperatorEvent.at >= utcnow() - RETRY_HORIZON,
            )
            .order_by(OperatorEvent.at.desc())
            .limit(MAX_OPEN_FAILURES)
        ).scalars()
    )
