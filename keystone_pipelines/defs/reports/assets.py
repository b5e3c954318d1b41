"""The daily QA report as a Dagster asset, partitioned by UTC day: the day's failures by
check, robot, station, collector and hour of each live factory, built by keystone_api's
statistics frames (the ones the dashboard's CSV exports are made of) and written as Parquet
and CSV into the factory's bucket (store.py). Materialized by a schedule after the day ends
(jobs.py), or from the UI for any day; re-running a day replaces its files."""

# No `from __future__ import annotations`: Dagster reads these signatures' real types.
from typing import Any

import dagster as dg
from pydantic import Field

from keystone_pipelines.defs.episodes.assets import episode_qa
from keystone_pipelines.defs.operations.rejected_input import rejected
from keystone_pipelines.defs.reports.metadata import edge_table, files_markdown, table_value
from keystone_pipelines.defs.reports.partitions import daily, day_window
from keystone_pipelines.defs.reports.store import bucket_exists, write_report
from keystone_pipelines.resources import KeystoneResource

GROUP = "reports"
ASSET = "daily_qa_report"


class DailyQaReportConfig(dg.Config):  # type: ignore[misc]
    factory_id: str | None = Field(
        default=None,
        description="One factory's report (its id); empty: every live factory of the edge, "
        "as the schedule does",
    )


def _totals(by_factory: dict[str, Any]) -> dict[str, int]:
    # Every episode landed in one hour of the day: the hour table holds them all once.
    hours = [frames["by_hour"] for frames in by_factory.values()]
    checks = [frames["by_check"] for frames in by_factory.values()]
    return {
        "episodes": int(sum(h["episodes"].sum() for h in hours)),
        "assessed": int(sum(h["assessed"].sum() for h in hours)),
        "failed_qa": int(sum(h["failed_qa"].sum() for h in hours)),
        "failed_checks": int(sum(c["failed"].sum() for c in checks)),
    }


@dg.asset(
    name=ASSET,
    group_name=GROUP,
    partitions_def=daily,
    # The report reads the QA results of the day's 24 hours of episode_qa.
    deps=[episode_qa],
    kinds={"pandas", "parquet", "s3"},
    description="A day's QA failures (UTC) by check, robot, station, collector and hour, "
    "per factory: Parquet and CSV under qa/reports/daily/YYYY-MM-DD/ of its bucket.",
)
def daily_qa_report(
    context: dg.AssetExecutionContext, config: DailyQaReportConfig, keystone: KeystoneResource
) -> dg.MaterializeResult:
    from keystone_api.alerts.service import factories
    from keystone_api.db.unit_of_work import unit_of_work_in
    from keystone_api.errors import NotFound
    from keystone_api.stats.frames import REPORT_TABLES, qa_report_frames

    day = context.partition_key
    start, end = day_window(day)
    wanted = (config.factory_id or "").strip() or None

    def build(session: Any) -> dict[str, Any]:
        refs = factories(session, wanted)
        return {ref.id: qa_report_frames(session, ref.id, start, end) for ref in refs}

    try:
        by_factory = unit_of_work_in(keystone.sessions(), build)
    except NotFound as exc:
        raise rejected(f"factory_id: no live factory '{wanted}' (leave it empty for all)") from exc

    settings, s3 = keystone.settings(), keystone.s3()
    buckets: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for factory_id, frames in by_factory.items():
        bucket = settings.bucket_for(factory_id)
        if not bucket_exists(s3, bucket):
            # No robot of the factory has registered (that makes its bucket), so nothing of
            # it has landed; the qa key may not make buckets.
            skipped[factory_id] = f"bucket {bucket} does not exist"
            context.log.warning(f"{factory_id}: {skipped[factory_id]}; report not written")
            continue
        write_report(s3, bucket, day, frames)
        buckets[factory_id] = bucket
    written = {fid: by_factory[fid] for fid in buckets}
    totals = _totals(written)
    context.log.info(f"{day}: {len(buckets)} factories reported, {totals}")
    return dg.MaterializeResult(
        metadata={
            **totals,
            "factories": len(buckets),
            "files": dg.MetadataValue.md(files_markdown(day, buckets, skipped)),
            **{table: table_value(edge_table(table, written)) for table in REPORT_TABLES},
        }
    )
