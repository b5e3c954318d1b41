"""What other tests of the session leave on the shared Dagster instance for a daemon to pick
up: backfills still requested (a daemon would launch their runs, "Materialize all" is
hundreds) and queued runs. A test that starts a real daemon cancels them first, so the
daemon works on that test's recordings only."""

from __future__ import annotations

import dagster as dg
from dagster._core.execution.backfill import BulkActionStatus


def cancel_leftovers(instance: dg.DagsterInstance) -> None:
    for backfill in instance.get_backfills(status=BulkActionStatus.REQUESTED):
        instance.update_backfill(backfill.with_status(BulkActionStatus.CANCELED))
    waiting = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED]
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=waiting)):
        instance.report_run_canceled(run, message="left by another test; not this daemon's")
