"""Alerts now: the four threshold alerts of each factory, and the operator events (pipeline
run failures and the like) nobody has resolved yet. Called by the API and by Dagster's
`factory_health` asset, so both show the same thing.

The app keeps no alert state: every call evaluates from MySQL. So `since` is when the
oldest fact behind a condition happened (the first unanswered recording, the oldest
waiting upload or sync), not when a threshold was crossed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import get_args

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keystone_api.alerts.facts import FactoryFacts, gather
from keystone_api.alerts.models import OperatorEvent
from keystone_api.alerts.rules import THRESHOLDS, AlertState, Severity, Thresholds, evaluate
from keystone_api.alerts.simulation import mark_simulated
from keystone_api.db.base import utcnow
from keystone_api.errors import NotFound
from keystone_api.registry.models import Factory
from keystone_api.settings import get_settings

# Unresolved events older than this are left to the event list (a week-old failure that
# nobody resolved is history, not a page).
EVENT_HORIZON = timedelta(days=7)
MAX_EVENTS = 50
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class FactoryRef:
    id: str
    name: str


def factories(session: Session, factory_id: str | None = None) -> list[FactoryRef]:
    """The live factories, or the one asked for (NotFound when unknown or archived)."""
    stmt = select(Factory.id, Factory.name).where(Factory.archived_at.is_(None))
    if factory_id is not None:
        stmt = stmt.where(Factory.id == factory_id)
    found = [FactoryRef(i, n) for i, n in session.execute(stmt.order_by(Factory.name))]
    if factory_id is not None and not found:
        raise NotFound(f"factory '{factory_id}' not found")
    return found


def factory_facts(
    session: Session, refs: list[FactoryRef], now: datetime | None = None
) -> list[FactoryFacts]:
    at = now or utcnow()
    return [gather(session, ref.id, ref.name, at) for ref in refs]


def factory_alerts(facts: list[FactoryFacts], t: Thresholds = THRESHOLDS) -> list[AlertState]:
    return [alert for f in facts for alert in evaluate(f, t)]


def open_events(session: Session, now: datetime | None = None) -> list[OperatorEvent]:
    since = (now or utcnow()) - EVENT_HORIZON
    return list(
        session.execute(
            select(OperatorEvent)
            .where(OperatorEvent.resolved_at.is_(None), OperatorEvent.at >= since)
            .order_by(OperatorEvent.at.desc())
            .limit(MAX_EVENTS)
        ).scalars()
    )


def alert_name(kind: str) -> str:
    """pipeline_run_failed -> PipelineRunFailed (the four alerts' naming)."""
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", kind) if part)


def run_link(event: OperatorEvent, dagster_url: str | None) -> str | None:
    """The failed run in the Dagster UI, where its logs and Re-execute are."""
    run_id = (event.data or {}).get("run_id")
    if not dagster_url or not isinstance(run_id, str) or not run_id:
        return None
    return f"{dagster_url.rstrip('/')}/runs/{run_id}"


def event_alert(event: OperatorEvent, dagster_url: str | None = None) -> AlertState:
    severity = event.severity if event.severity in get_args(Severity) else "warning"
    detail = event.detail.strip().splitlines()[0][:300] if event.detail.strip() else ""
    return AlertState(
        name=alert_name(event.kind) or "OperatorEvent",
        severity=severity,  # type: ignore[arg-type]
        firing=True,
        factory_id=None,  # pipeline runs serve every factory of the edge
        value=None,
        threshold=None,
        unit="",
        since=event.at,
        description=f"{event.title}: {detail}" if detail else event.title,
        event_id=event.id,
        link=run_link(event, dagster_url),
    )


def ordered(alerts: list[AlertState]) -> list[AlertState]:
    """Firing first, the most severe first, then by factory and name."""
    return sorted(
        alerts,
        key=lambda a: (
            not a.firing,
            SEVERITY_ORDER.get(a.severity, 3),
            a.factory_id or "",
            a.name,
        ),
    )


def current_alerts(
    session: Session, factory_id: str | None = None, now: datetime | None = None
) -> list[AlertState]:
    at = now or utcnow()
    facts = factory_facts(session, factories(session, factory_id), at)
    settings = get_settings()
    events = [event_alert(e, settings.dagster_url) for e in open_events(session, at)]
    threshold_alerts = mark_simulated(factory_alerts(facts), settings.simulated_defect_rate)
    return ordered(threshold_alerts + events)


def unresolved_counts(session: Session, now: datetime | None = None) -> list[tuple[str, str, int]]:
    """(kind, severity, count) of the events `open_events` shows, for /metrics."""
    since = (now or utcnow()) - EVENT_HORIZON
    rows = session.execute(
        select(OperatorEvent.kind, OperatorEvent.severity, func.count())
        .where(OperatorEvent.resolved_at.is_(None), OperatorEvent.at >= since)
        .group_by(OperatorEvent.kind, OperatorEvent.severity)
    )
    return [(kind, severity, int(n)) for kind, severity, n in rows]


def resolve_event(session: Session, event_id: str, actor: str, note: str = "") -> OperatorEvent:
    """Mark an event resolved (idempotent: the first resolution is kept)."""
    event = session.execute(
        select(OperatorEvent).where(OperatorEvent.id == event_id).with_for_update()
    ).scalar_one_or_none()
    if event is None:
        raise NotFound(f"operator event '{event_id}' not found")
    if event.resolved_at is None:
        event.resolved_at = utcnow()
        # No resolver column (migration 0004 has none): who and why go into the event's data.
        event.data = {**(event.data or {}), "resolved_by": actor, "resolution_note": note}
        session.flush()
    return event
