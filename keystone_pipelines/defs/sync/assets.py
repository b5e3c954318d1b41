"""Approved episodes in the cloud, partitioned by the hour they were approved.

The sync job drains the queue oldest-first across hours (the cloud's first-sync order
follows `approved_at`), so the asset is declared here and materialized per touched hour by
that job, with each hour's synced / pending / failed counts."""

# No `from __future__ import annotations`: Dagster reads these signatures' real types.
import dagster as dg

from keystone_pipelines.defs.episodes.partitions import hourly
from keystone_pipelines.resources import KeystoneResource

cloud_sync = dg.AssetSpec(
    "cloud_sync",
    partitions_def=hourly,
    deps=["review_gate"],
    group_name="sync",
    kinds={"s3"},
    description="Approved episodes (auto or inspector) delivered to the cloud, verified, "
    "exactly once, by approval hour. Materialized by cloud_sync_job.",
)


@dg.asset_check(
    asset="cloud_sync",
    name="sync_queue_depth",
    description="At most 100 episodes wait for the cloud (the alert threshold)",
)
def sync_queue_depth_check(keystone: KeystoneResource) -> dg.AssetCheckResult:
    return queue_check_result(keystone)


def queue_check_result(keystone: KeystoneResource) -> dg.AssetCheckResult:
    from keystone_api.sync.stats import QUEUE_WARN_THRESHOLD, failed_count, sync_queue_depth

    with keystone.sessions()() as session:
        depth = sync_queue_depth(session)
        failed = failed_count(session)
    # Failed episodes are shown beside the queue, not in it: they need a person, and the
    # check's failing means "the queue is backing up" (connectivity), as the alert does.
    return dg.AssetCheckResult(
        check_name="sync_queue_depth",
        asset_key="cloud_sync",
        passed=depth <= QUEUE_WARN_THRESHOLD,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "queue_depth": depth,
            "threshold": QUEUE_WARN_THRESHOLD,
            "failed_needs_person": failed,
        },
    )
