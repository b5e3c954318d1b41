"""The factory's health as a Dagster asset: its checks are the specification's four alerts,
evaluated by the same code as GET /api/v1/alerts (keystone_api.alerts), so the Dagster UI,
the API and the dashboard agree. Refreshed by a schedule (jobs.py)."""

# No `from __future__ import annotations`: Dagster reads these signatures' real types.
from typing import Any

import dagster as dg

from keystone_api.alerts.rules import THRESHOLDS, AlertState
from keystone_pipelines.resources import KeystoneResource

GROUP = "operations"
ASSET = "factory_health"
# Kept small: MariaDB stores a check evaluation in a 64 KB TEXT column.
MAX_LISTED = 10

# check name -> (alert name, severity, description)
CHECKS: dict[str, tuple[str, dg.AssetCheckSeverity, str]] = {
    "upload_queue": (
        "UploadQueueHigh",
        dg.AssetCheckSeverity.WARN,
        f"No robot holds more than {THRESHOLDS.upload_queue_files} recordings not yet "
        "uploaded (investigate network or storage)",
    ),
    "qa_failure_rate": (
        "QaFailureRateHigh",
        dg.AssetCheckSeverity.WARN,
        f"At most {THRESHOLDS.qa_failure_rate:.0%} of the last hour's assessed episodes "
        f"failed a check (judged from {THRESHOLDS.qa_min_assessed} assessed on)",
    ),
    "uploads_flowing": (
        "NoUploads",
        dg.AssetCheckSeverity.ERROR,
        f"While work is under way, a recording lands at least every "
        f"{THRESHOLDS.no_upload_s / 60:.0f} minutes (check device health)",
    ),
    "sync_queue": (
        "SyncQueueHigh",
        dg.AssetCheckSeverity.WARN,
        f"At most {THRESHOLDS.sync_queue} approved episodes wait for the cloud "
        "(check cloud connectivity)",
    ),
}


class FactoryHealthConfig(dg.Config):  # type: ignore[misc]
    # Empty: every live factory of the edge (what the schedule does).
    factory_id: str | None = None


def _value(alert: AlertState) -> float:
    return alert.value if alert.value is not None else 0.0


def check_result(name: str, alerts: list[AlertState]) -> dg.AssetCheckResult:
    alert_name, severity, _ = CHECKS[name]
    mine = [a for a in alerts if a.name == alert_name]
    firing = sorted((a for a in mine if a.firing), key=lambda a: -_value(a))
    metadata: dict[str, Any] = {
        "factories": len(mine),
        "firing": len(firing),
        "threshold": mine[0].threshold if mine and mine[0].threshold is not None else 0.0,
        "worst_value": max((_value(a) for a in mine), default=0.0),
    }
    if firing:
        listed = "\n".join(
            f"- `{a.factory_id}`: {a.description[:300]}" for a in firing[:MAX_LISTED]
        )
        metadata["firing_factories"] = dg.MetadataValue.md(listed)
    return dg.AssetCheckResult(
        check_name=name, passed=not firing, severity=severity, metadata=metadata
    )


@dg.asset(
    name=ASSET,
    group_name=GROUP,
    kinds={"mysql"},
    check_specs=[
        dg.AssetCheckSpec(name, asset=ASSET, description=description)
        for name, (_, _, description) in CHECKS.items()
    ],
    description="The edge's alerts now, per factory: upload queue, QA failure rate, "
    "uploads flowing, sync queue (the same evaluation as GET /api/v1/alerts).",
)
def factory_health(
    context: dg.AssetExecutionContext, config: FactoryHealthConfig, keystone: KeystoneResource
) -> dg.MaterializeResult:
    from keystone_api.alerts.service import factories, factory_alerts, factory_facts, open_events

    with keystone.sessions()() as session:
        facts = factory_facts(session, factories(session, config.factory_id))
        alerts = factory_alerts(facts)
        events = open_events(session)
    firing = [a for a in alerts if a.firing]
    context.log.info(f"{len(facts)} factories, {len(firing)} alerts firing")
    base = keystone.public_base_url.rstrip("/")
    return dg.MaterializeResult(
        metadata={
            "factories": len(facts),
            "alerts_firing": len(firing),
            "unresolved_operator_events": len(events),
            "episodes_last_hour": sum(f.window.episodes for f in facts),
            "robots_online": sum(f.live.robots_online for f in facts),
            "dashboard": dg.MetadataValue.url(f"{base}/dashboard"),
        },
        check_results=[check_result(name, alerts) for name in CHECKS],
    )
