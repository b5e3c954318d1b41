"""A failed run is recorded where operators look (Keystone's operator events, shown by the
API's alerts and the dashboard), not only in the Dagster UI: one event per run and its
retries, naming the failing step's error, resolved by the retry that succeeds. Runs that
were interrupted or refused their input raise none (run_failures.py says why)."""

# No `from __future__ import annotations`: Dagster reads these signatures' real types.
import dagster as dg

from keystone_pipelines.defs.operations.run_failures import FailureCause, failure_cause
from keystone_pipelines.resources import KeystoneResource

ROOT_RUN_ID_TAG = "dagster/root_run_id"


@dg.run_failure_sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
    description="Records a failed run as an operator event in Keystone, naming the failing "
    "step's error (not for interrupted runs or refused input).",
)
def pipeline_failure_sensor(
    context: dg.RunFailureSensorContext, keystone: KeystoneResource
) -> dg.SkipReason | None:
    from keystone_api.alerts.events import record_run_failure
    from keystone_api.db.unit_of_work import unit_of_work_in

    run = context.dagster_run
    cause = failure_cause(context)
    if cause.verdict != "failed":
        return dg.SkipReason(f"run {run.run_id} of {run.job_name} {cause.verdict}: {cause.error}")
    if _group_succeeded(context.instance, run.run_id):
        # Seen late (the daemon was down): a retry has already put it right.
        return dg.SkipReason(f"run {run.run_id} of {run.job_name}: a retry has succeeded")
    root = run.root_run_id or run.tags.get(ROOT_RUN_ID_TAG) or run.run_id
    partition = run.tags.get("dagster/partition")
    title, detail = _describe(run.job_name, partition, cause, run.run_id, keystone)
    unit_of_work_in(
        keystone.sessions(),
        lambda session: record_run_failure(
            session,
            root_run_id=root,
            run_id=run.run_id,
            title=title,
            detail=detail,
            job_name=run.job_name,
            partition=partition,
            step_key=cause.step_key,
            failure_reason=cause.failure_reason,
        ),
    )
    return None


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
    description="Resolves a failed run's operator event when a retry or re-execution of "
    "that run succeeds.",
)
def pipeline_recovery_sensor(
    context: dg.RunStatusSensorContext, keystone: KeystoneResource
) -> dg.SkipReason | None:
    from keystone_api.alerts.events import resolve_run_failures
    from keystone_api.db.unit_of_work import unit_of_work_in

    run = context.dagster_run
    # Retries and re-executions (the daemon's, the UI's) carry their group's first run.
    root = run.root_run_id or run.tags.get(ROOT_RUN_ID_TAG)
    if root is None:
        return dg.SkipReason(f"run {run.run_id} is no retry: nothing to resolve")
    resolved = unit_of_work_in(
        keystone.sessions(), lambda session: len(resolve_run_failures(session, root, run.run_id))
    )
    context.log.info(f"retry {run.run_id} of {root} succeeded: {resolved} event(s) resolved")
    return None


def _group_succeeded(instance: dg.DagsterInstance, run_id: str) -> bool:
    group = instance.get_run_group(run_id)
    runs = group[1] if group is not None else []
    return any(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)


def _describe(
    job_name: str,
    partition: str | None,
    cause: FailureCause,
    run_id: str,
    keystone: KeystoneResource,
) -> tuple[str, str]:
    """The title says what failed, the detail's first line why (the alert shows both)."""
    where = f" at step {cause.step_key}" if cause.step_key else ""
    hour = f" (partition {partition})" if partition else ""
    # KEYSTONE_DAGSTER_URL, where the UI is (unset: the run id alone).
    dagster_url = getattr(keystone.settings(), "dagster_url", None)
    run = f"{dagster_url.rstrip('/')}/runs/{run_id}" if dagster_url else f"run {run_id}"
    return f"Dagster run of {job_name}{hour} failed{where}", f"{cause.error}\n\nDagster: {run}"
