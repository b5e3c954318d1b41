"""The factory_health refresh: a job (in-process executor: a run costs ~3 CPU-s, not 12-14)
and a schedule every five minutes, running by default so the checks stay current."""

# No `from __future__ import annotations`: Dagster reads these signatures' real types.
import dagster as dg

from keystone_pipelines.defs.operations.assets import factory_health

factory_health_job = dg.define_asset_job(
    "factory_health_job",
    selection=dg.AssetSelection.assets(factory_health),
    executor_def=dg.in_process_executor,
    tags={"keystone/job": "factory_health"},
    description="Evaluate the edge's alerts (the factory_health checks).",
)

factory_health_schedule = dg.ScheduleDefinition(
    name="factory_health_schedule",
    job=factory_health_job,
    # The thresholds are minutes to an hour wide: five minutes keeps the UI current at
    # ~290 small runs a day.
    cron_schedule="*/5 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Refresh factory_health and its alert checks every five minutes.",
)
