"""Record an operator event (the Dagster run-failure sensor, gateways, the sync sender)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from keystone_api.alerts.models import OperatorEvent
from keystone_api.db.base import utcnow


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
