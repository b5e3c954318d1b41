"""A failed run is recorded where operators look (Keystone's operator events, shown by the
API's alerts and the dashboard), not only in the Dagster UI."""

# No `from __future__ import annotations`: Dagster reads these signatures' real types.
import dagster as dg

from keystone_pipelines.resources import KeystoneResource


@dg.run_failure_sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
    description="Records every failed run as an operator event in Keystone.",
)
def pipeline_failure_sensor(
    context: dg.RunFailureSensorContext, keystone: KeystoneResource
) -> None:
    from keystone_api.alerts.events import record_event
    from keystone_api.db.unit_of_work import unit_of_work_in

    run = context.dagster_run
    message = context.failure_event.message or "run failed"
    unit_of_work_in(
        keystone.sessions(),
        lambda session: record_event(
            session,
            "pipeline_run_failed",
            "warning",
            f"Dagster run of {run.job_name} failed",
            message,
            run_id=run.run_id,
            job_name=run.job_name,
            partition=run.tags.get("dagster/partition"),
        ),
    )
