"""The sync sensor: ask for a drain run when episodes are due, and keep the queue-depth
check current in the UI."""

# No `from __future__ import annotations`: Dagster reads these signatures' real types.
import json
import time

import dagster as dg

from keystone_pipelines.defs.run_states import NOT_ENDED
from keystone_pipelines.defs.sync.assets import queue_check_result
from keystone_pipelines.defs.sync.jobs import cloud_sync_job
from keystone_pipelines.resources import KeystoneResource

# The check is re-reported when it changes, and at least this often.
CHECK_EVERY_S = 600


@dg.sensor(
    job=cloud_sync_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Drains the sync queue (one run at a time) whenever episodes are due.",
)
def cloud_sync_sensor(
    context: dg.SensorEvaluationContext, keystone: KeystoneResource
) -> dg.SensorResult:
    from keystone_api.db.base import utcnow
    from keystone_api.sync.replicas import outbox_depth
    from keystone_api.sync.stats import due_now

    cursor = json.loads(context.cursor) if context.cursor else {}
    check = queue_check_result(keystone)
    events = []
    if cursor.get("passed") != check.passed or time.time() - cursor.get("at", 0) > CHECK_EVERY_S:
        events.append(
            dg.AssetCheckEvaluation(
                asset_key=dg.AssetKey("cloud_sync"),
                check_name="sync_queue_depth",
                passed=check.passed,
                severity=check.severity,
                metadata=check.metadata,
            )
        )
        cursor = {**cursor, "passed": check.passed, "at": time.time()}
    settings = keystone.settings()
    if not settings.cloud_api_url:
        return dg.SensorResult(
            skip_reason="cloud sync is not configured (KEYSTONE_CLOUD_API_URL)",
            asset_events=events,
            cursor=json.dumps(cursor),
        )
    with keystone.sessions()() as session:
        due, latest = due_now(session, utcnow())
        changes = outbox_depth(session)
    # Failed episodes are not due: they wait for a person (retrying cannot fix them), so
    # they never ask for a run; a re-queued one is queued again and due like any other.
    if not due and not changes:
        return dg.SensorResult(
            skip_reason="nothing due for the cloud", asset_events=events, cursor=json.dumps(cursor)
        )
    running = context.instance.get_runs(
        filters=dg.RunsFilter(job_name=cloud_sync_job.name, statuses=NOT_ENDED), limit=1
    )
    if running:
        return dg.SensorResult(
            skip_reason="a sync run is already draining the queue",
            asset_events=events,
            cursor=json.dumps(cursor),
        )
    # The key is the queue's state: a retried tick asks for nothing new, while any change
    # (new approvals, a finished backoff, a drained run) allows the next run.
    key = f"sync:{due}:{latest.isoformat() if latest else '-'}:{changes}"
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=key, tags={"keystone/due": str(due)})],
        asset_events=events,
        cursor=json.dumps(cursor),
    )
