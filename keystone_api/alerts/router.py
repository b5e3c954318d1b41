"""Alerts over HTTP: the specification's thresholds evaluated now, per factory, plus the
unresolved operator events; operators resolve events. Staff and display tokens read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from sqlalchemy import select

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import Principal, StaffPrincipal, roles
from keystone_api.alerts import schemas as s
from keystone_api.alerts.models import OperatorEvent
from keystone_api.alerts.rules import AlertState
from keystone_api.alerts.service import current_alerts, resolve_event
from keystone_api.db.base import utcnow
from keystone_api.deps import SessionDep
from keystone_api.stats.scope import Scope

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
Reader = Annotated[
    Principal, Depends(roles(Role.admin, Role.operator, Role.inspector, Role.display))
]


def _out(alert: AlertState) -> s.AlertOut:
    return s.AlertOut(
        name=alert.name,
        severity=alert.severity,
        state="firing" if alert.firing else "ok",
        factory_id=alert.factory_id,
        value=alert.value,
        threshold=alert.threshold,
        unit=alert.unit,
        since=alert.since,
        description=alert.description,
        subjects=alert.subjects,
        event_id=alert.event_id,
        factory_name=alert.factory_name,
        simulated=alert.simulated,
        link=alert.link,
    )


@router.get(
    "",
    response_model=s.AlertsOut,
    summary="The alerts now: upload queue, QA failure rate, no uploads, sync queue, and "
    "unresolved operator events",
)
def list_alerts(
    q: Annotated[s.AlertsQuery, Query()], session: SessionDep, principal: Reader
) -> s.AlertsOut:
    at = utcnow()
    # The statistics API's scoping: a factory-bound caller asking for another factory gets
    # nothing (not even the edge's events), as its statistics would be empty.
    scope = Scope.of(principal, q)
    alerts = [] if scope.blocked else current_alerts(session, scope.factory_id, at)
    items = [_out(a) for a in alerts]
    if q.state is not None:
        items = [i for i in items if i.state == q.state]
    return s.AlertsOut(at=at, firing=sum(i.state == "firing" for i in items), items=items)


@router.get(
    "/events",
    response_model=list[s.OperatorEventOut],
    summary="Operator events (pipeline run failures ...), newest first",
)
def list_operator_events(
    q: Annotated[s.EventsQuery, Query()], session: SessionDep, _: Reader
) -> Any:
    stmt = select(OperatorEvent).order_by(OperatorEvent.at.desc(), OperatorEvent.id).limit(q.limit)
    if not q.include_resolved:
        stmt = stmt.where(OperatorEvent.resolved_at.is_(None))
    return list(session.execute(stmt).scalars())


@router.post(
    "/events/{event_id}/resolve",
    response_model=s.OperatorEventOut,
    summary="Resolve an operator event: it leaves the alerts (idempotent)",
)
def resolve_operator_event(
    event_id: str,
    session: SessionDep,
    principal: StaffPrincipal,
    body: Annotated[s.ResolveIn | None, Body()] = None,
) -> Any:
    note = body.note if body is not None else ""
    return resolve_event(session, event_id, principal.actor, note)
