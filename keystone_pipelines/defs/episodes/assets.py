"""Episodes as hourly-partitioned assets: the landed recordings of an hour, their QA, and the
review gate (auto-approval and inspector decisions). Per-episode truth lives in MySQL; each
materialization shows the hour at a glance."""

# No `from __future__ import annotations`: Dagster reads these signatures' real types.
import dagster as dg

from keystone_pipelines.defs.episodes.backfill_guard import refuse_wide_backfill
from keystone_pipelines.defs.episodes.checks import (
    AWAITING_INSPECTION,
    QA_FAILURE_RATE,
    STUCK_PENDING_QA,
    gate_checks,
    qa_checks,
)
from keystone_pipelines.defs.episodes.metadata import hour_metadata, landed_metadata
from keystone_pipelines.defs.episodes.partitions import hour_window, hourly
from keystone_pipelines.defs.episodes.reassess_config import EpisodeQaConfig, reassess_the_hour
from keystone_pipelines.qa.run import run_qa
from keystone_pipelines.qa.summary import hour_summary
from keystone_pipelines.resources import KeystoneResource

GROUP = "episodes"


@dg.asset(
    partitions_def=hourly,
    group_name=GROUP,
    kinds={"s3", "mysql"},
    description="Recordings that landed in the object store this hour, verified and "
    "registered as episodes (by the transfer gateway or the landing sensor).",
)
def landed_recordings(
    context: dg.AssetExecutionContext, keystone: KeystoneResource
) -> dg.MaterializeResult:
    refuse_wide_backfill(context, keystone.max_backfill_hours)
    start, _ = hour_window(context.partition_key)
    with keystone.sessions()() as session:
        s = hour_summary(session, start, keystone.stuck_after_s)
    return dg.MaterializeResult(metadata=landed_metadata(s))


@dg.asset(
    partitions_def=hourly,
    group_name=GROUP,
    deps=[landed_recordings],
    kinds={"python"},
    retry_policy=dg.RetryPolicy(max_retries=2, delay=15, backoff=dg.Backoff.EXPONENTIAL),
    check_specs=[STUCK_PENDING_QA],
    description="QA of the hour's recordings: structure, required topics, duration, gaps, "
    "image integrity and integrity; score >= 0.90 auto-approves.",
)
def episode_qa(  # type: ignore[no-untyped-def]
    context: dg.AssetExecutionContext, keystone: KeystoneResource, config: EpisodeQaConfig
):
    refuse_wide_backfill(context, keystone.max_backfill_hours)
    start, end = hour_window(context.partition_key)
    if config.reassess:
        reassess_the_hour(context, keystone, config, start, end)
    report = run_qa(
        keystone.sessions(),
        keystone.s3(),
        keystone.settings(),
        start,
        end,
        token=context.run.run_id,
        workers=keystone.qa_workers,
        lease_s=keystone.claim_lease_s,
    )
    context.log.info(f"assessed {len(report.assessed)} episodes, {len(report.errors)} errors")
    if report.errors:
        # Claims were released: the retry (or the next run) takes these episodes again.
        raise dg.Failure(
            description=f"{len(report.errors)} episodes could not be assessed",
            metadata={
                "errors": dg.MetadataValue.md(
                    "\n".join(f"- `{e}`: {msg[:200]}" for e, msg in report.errors[:20])
                )
            },
        )
    with keystone.sessions()() as session:
        s = hour_summary(session, start, keystone.stuck_after_s)
    return dg.MaterializeResult(
        metadata={**hour_metadata(s, keystone), "assessed_in_this_run": len(report.assessed)},
        check_results=qa_checks(s, keystone),
    )


@dg.asset(
    partitions_def=hourly,
    group_name=GROUP,
    deps=[episode_qa],
    kinds={"python"},
    check_specs=[QA_FAILURE_RATE, AWAITING_INSPECTION],
    description="The review gate: auto-approved episodes and inspectors' decisions. "
    "Re-materialized when an inspector decides.",
)
def review_gate(context: dg.AssetExecutionContext, keystone: KeystoneResource):  # type: ignore[no-untyped-def]
    refuse_wide_backfill(context, keystone.max_backfill_hours)
    start, _ = hour_window(context.partition_key)
    with keystone.sessions()() as session:
        s = hour_summary(session, start, keystone.stuck_after_s)
    return dg.MaterializeResult(
        metadata=hour_metadata(s, keystone), check_results=gate_checks(s, keystone)
    )
