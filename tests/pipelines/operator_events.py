"""What the operator-event tests share: the events recorded for some runs, and one
evaluation of a run-status sensor over a finished run, as the daemon makes it."""

from __future__ import annotations

from typing import Any

import dagster as dg
from sqlalchemy import select

from keystone_api.alerts.models import OperatorEvent
from keystone_api.db.engine import get_sessionmaker

WILL_RETRY = "dagster/will_retry"  # set by the instance when a run fails


def events_of(run_ids: set[str]) -> list[OperatorEvent]:
    with get_sessionmaker()() as session:
        events = session.execute(
            select(OperatorEvent).where(OperatorEvent.kind == "pipeline_run_failed")
        ).scalars()
        return [e for e in events if run_ids & set((e.data or {}).get("failed_runs", []))]


def sensor_tick(sensor: Any, status: dg.DagsterEventType, instance, keystone, run_id: str):  # type: ignore[no-untyped-def]
    """The sensor's evaluation of one finished run, as the daemon makes it."""
    (entry,) = instance.all_logs(run_id, of_type=status)
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_event=entry.dagster_event,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run_id),
        resources={"keystone": keystone},
    )
    if status == dg.DagsterEventType.RUN_FAILURE:
        return sensor(context.for_run_failure())
    return sensor(context)
