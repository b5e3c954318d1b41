"""The sync job: drain the queue into the cloud, then record the touched approval hours."""

# No `from __future__ import annotations`: Dagster reads these signatures' real types.
import time

import dagster as dg

from keystone_pipelines.defs.episodes.partitions import hour_key, hour_window
from keystone_pipelines.resources import KeystoneResource

# A run drains for at most this long; the sensor asks for the next one.
DRAIN_SECONDS = 600


@dg.op(description="Deliver queued approved episodes to the cloud, oldest approval first")
def drain_sync_queue(context: dg.OpExecutionContext, keystone: KeystoneResource):  # type: ignore[no-untyped-def]
    from keystone_api.sync.sender import drain
    from keystone_api.sync.stats import approval_times, partition_stats, still_pending

    report = drain(
        keystone.sessions(),
        keystone.settings(),
        deadline=time.monotonic() + DRAIN_SECONDS,
        worker=f"dagster:{context.run_id}",
    )
    context.log.info(
        f"synced {len(report.synced)}, already there {len(report.already_synced)}, "
        f"errors {len(report.errors)}, {report.bytes_sent} bytes, stopped: {report.stopped or '-'}"
    )
    for line in report.replicas_refused[:20]:
        context.log.warning(f"record refused by the cloud (parked for a person): {line}")
    touched = [*report.synced, *report.already_synced, *(e for e, _ in report.errors)]
    with keystone.sessions()() as session:
        hours = sorted({hour_key(a) for a in approval_times(session, touched)})
        for hour in hours:
            stats = partition_stats(session, *hour_window(hour))
            yield dg.AssetMaterialization(
                asset_key="cloud_sync",
                partition=hour,
                metadata={
                    **stats.as_metadata(),
                    "queue_remaining": report.remaining,
                    "errors_in_run": len(report.errors),
                },
            )
        stuck = still_pending(session, [e for e, _ in report.errors])
    if stuck and not report.confirmed:
        # Nothing got through and the queue's head still waits (a transient error: the cloud
        # or a network down): fail the run so the outage shows. Episodes that failed for
        # good (refused, changed at the edge) are in the sync status and alerts instead.
        raise dg.Failure(description=f"no episode synced; first error: {report.errors[0][1][:300]}")
    yield dg.Output(report.confirmed)


@dg.job(
    executor_def=dg.in_process_executor,
    tags={"keystone/job": "cloud_sync"},
    description="Drain the sync queue into the cloud (approved episodes only, in order).",
)
def cloud_sync_job() -> None:
    drain_sync_queue()
