""" "Materialize all" cannot start a backfill of years by accident: a backfill over more hours
than the bound is refused by its first run (one failure that says why, no retries) and
canceled; a narrow one, or a wide one tagged keystone/allow_wide_backfill=true, runs."""

from __future__ import annotations

import time

import dagster as dg
from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill
from dagster._core.utils import make_new_backfill_id

from keystone_pipelines.definitions import defs
from keystone_pipelines.defs.episodes.backfill_guard import ALLOW_WIDE_BACKFILL_TAG
from keystone_pipelines.defs.episodes.partitions import hourly
from keystone_pipelines.defs.operations.rejected_input import is_rejected
from keystone_pipelines.resources import KeystoneResource

EPISODE_ASSETS = [dg.AssetKey(k) for k in ("landed_recordings", "episode_qa", "review_gate")]
LIMIT = 3  # hours; the tests' partitions start yesterday, so "all" is 24 or more


def _backfill(instance, keys: list[str] | None, tags: dict[str, str] | None = None) -> str:  # type: ignore[no-untyped-def]
    """A backfill as the UI makes it: keys=None is "Materialize all" (every partition)."""
    backfill = PartitionBackfill.from_asset_partitions(
        backfill_id=make_new_backfill_id(),
        asset_graph=defs.resolve_asset_graph(),
        partition_names=keys,
        asset_selection=EPISODE_ASSETS,
        backfill_timestamp=time.time(),
        tags=tags or {},
        dynamic_partitions_store=instance,
        all_partitions=keys is None,
        title=None,
        description=None,
        run_config=None,
    )
    instance.add_backfill(backfill)
    return backfill.backfill_id


def _run_of(
    backfill_id: str, hour: str, instance, keystone, tags=None
) -> dg.ExecuteInProcessResult:  # type: ignore[no-untyped-def]
    """One of the backfill's runs, as the daemon launches it (with the backfill's tags)."""
    return defs.resolve_job_def("episode_qa_job").execute_in_process(
        partition_key=hour,
        instance=instance,
        resources={"keystone": keystone},
        tags={"dagster/backfill": backfill_id, **(tags or {})},
        raise_on_error=False,
    )


def _bounded(keystone: KeystoneResource) -> KeystoneResource:
    return KeystoneResource(**{**keystone.model_dump(), "max_backfill_hours": LIMIT})


def test_the_default_bound_is_a_week() -> None:
    assert KeystoneResource.model_fields["max_backfill_hours"].default == 7 * 24


def test_materialize_all_is_refused_by_its_first_run_and_canceled(
    dagster_instance, keystone_resource
) -> None:
    hours = hourly.get_partition_keys()
    assert len(hours) > LIMIT
    backfill_id = _backfill(dagster_instance, None)

    run = _run_of(backfill_id, hours[0], dagster_instance, _bounded(keystone_resource))

    assert not run.success
    (failure,) = [e for e in run.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert message.startswith(f"backfill refused: it covers {len(hours)} hours, more than 3 ")
    assert f"{ALLOW_WIDE_BACKFILL_TAG}=true" in message
    assert is_rejected(failure.step_failure_data)  # the asker's mistake: no operator alert
    # Nothing ran after the refusal, and nothing retries it: not the step, not the run.
    assert [e.step_key for e in run.all_events if e.is_step_start] == ["landed_recordings"]
    assert not [e for e in run.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    stored = dagster_instance.get_run_by_id(run.run_id)
    assert stored.tags["dagster/max_retries"] == "0"
    assert stored.tags["dagster/will_retry"] == "false"
    # The backfill launches no more runs; the daemon cancels those it queued.
    assert dagster_instance.get_backfill(backfill_id).status == BulkActionStatus.CANCELING


def test_a_narrow_backfill_runs(dagster_instance, keystone_resource) -> None:
    hours = hourly.get_partition_keys()[:LIMIT]
    backfill_id = _backfill(dagster_instance, hours)
    run = _run_of(backfill_id, hours[0], dagster_instance, _bounded(keystone_resource))
    assert run.success
    assert dagster_instance.get_backfill(backfill_id).status == BulkActionStatus.REQUESTED


def test_a_wide_backfill_asked_for_on_purpose_runs(dagster_instance, keystone_resource) -> None:
    allow = {ALLOW_WIDE_BACKFILL_TAG: "true"}
    backfill_id = _backfill(dagster_instance, None, allow)
    hour = hourly.get_partition_keys()[1]
    run = _run_of(backfill_id, hour, dagster_instance, _bounded(keystone_resource), allow)
    assert run.success
    assert dagster_instance.get_backfill(backfill_id).status == BulkActionStatus.REQUESTED


def test_runs_that_are_not_backfills_are_never_refused(dagster_instance, keystone_resource) -> None:
    # The sensors' runs: one hour each, no backfill tag, whatever the bound.
    keystone = KeystoneResource(**{**keystone_resource.model_dump(), "max_backfill_hours": 0})
    run = defs.resolve_job_def("review_gate_job").execute_in_process(
        partition_key=hourly.get_partition_keys()[2],
        instance=dagster_instance,
        resources={"keystone": keystone},
    )
    assert run.success
