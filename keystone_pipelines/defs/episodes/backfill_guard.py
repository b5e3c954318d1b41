"""A guard against backfills of years by accident.

"Materialize all" on an hourly asset asks for every hour since KEYSTONE_PARTITIONS_START,
one run per hour (the assets keep Dagster's default backfill policy, so each hour's checks
carry that hour). A backfill over more than KeystoneResource.max_backfill_hours (a week
unless KEYSTONE_MAX_BACKFILL_HOURS says otherwise) is refused by its first run to start.
That run fails once with a message that says why and how to ask on purpose (the tag
ALLOW_WIDE_BACKFILL_TAG=true on the backfill), without step or run retries and without an
operator alert (a refused input: operations/rejected_input.py); the backfill is canceled,
so its other runs are not launched (queued ones are canceled by the daemon). The sensors'
runs are not backfills and are never refused."""

from __future__ import annotations

import dagster as dg

from keystone_pipelines.defs.operations.rejected_input import rejected

ALLOW_WIDE_BACKFILL_TAG = "keystone/allow_wide_backfill"
BACKFILL_ID_TAG = "dagster/backfill"
# Read by the run-retry daemon when the run fails (a refusal would fail again).
MAX_RETRIES_TAG = "dagster/max_retries"


def backfill_hours(context: dg.AssetExecutionContext) -> int | None:
    """How many hours the backfill this run belongs to covers (None: not a backfill)."""
    backfill_id = context.run.tags.get(BACKFILL_ID_TAG)
    backfill = context.instance.get_backfill(backfill_id) if backfill_id else None
    if backfill is None:
        return None
    if backfill.partition_names is not None:  # a job's backfill (its partitions page)
        return len(backfill.partition_names)
    # Stored as an object by this Dagster (older backfills as a string, read with the graph).
    data = backfill.get_asset_backfill_data(context.job_def.asset_layer.asset_graph)
    subsets = data.target_subset.partitions_subsets_by_asset_key.values()
    return max((len(subset) for subset in subsets), default=0)


def refuse_wide_backfill(context: dg.AssetExecutionContext, limit: int) -> None:
    """Fail this run (once) when its backfill is over the limit and not asked for on purpose."""
    if len(context.partition_keys) > 1:
        _refuse(
            context,
            f"this run covers {len(context.partition_keys)} hours; these assets take one "
            "hour per run (launch a backfill, which makes a run per hour)",
        )
    allowed = context.run.tags.get(ALLOW_WIDE_BACKFILL_TAG, "").lower() == "true"
    hours = backfill_hours(context)
    if allowed or hours is None or hours <= limit:
        return
    _cancel_backfill(context)
    _refuse(
        context,
        f"backfill refused: it covers {hours} hours, more than {limit} "
        "(KEYSTONE_MAX_BACKFILL_HOURS), as 'Materialize all' does by accident; it is "
        "canceled. Select fewer partitions, or launch it again with the tag "
        f"{ALLOW_WIDE_BACKFILL_TAG}=true to process them all on purpose.",
    )


def _cancel_backfill(context: dg.AssetExecutionContext) -> None:
    from dagster._core.execution.backfill import BulkActionStatus  # not exported by dagster

    backfill = context.instance.get_backfill(context.run.tags[BACKFILL_ID_TAG])
    if backfill is not None and backfill.status == BulkActionStatus.REQUESTED:
        context.instance.update_backfill(backfill.with_status(BulkActionStatus.CANCELING))


def _refuse(context: dg.AssetExecutionContext, message: str) -> None:
    context.instance.add_run_tags(context.run.run_id, {MAX_RETRIES_TAG: "0"})
    # The asker's mistake, not the pipeline's: no operator alert, no step retry.
    raise rejected(message)
