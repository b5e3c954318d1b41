"""The daily QA report's job (in-process executor: one small run a day) and its schedule:
at 01:00 UTC, the day that ended an hour before, so QA has assessed what landed late in it."""

# No `from __future__ import annotations`: Dagster reads these signatures' real types.
import dagster as dg

from keystone_pipelines.defs.reports.assets import daily_qa_report

daily_qa_report_job = dg.define_asset_job(
    "daily_qa_report_job",
    selection=dg.AssetSelection.assets(daily_qa_report),
    executor_def=dg.in_process_executor,
    tags={"keystone/job": "daily_qa_report"},
    description="Write a day's QA report (Parquet and CSV) for every live factory.",
)

daily_qa_report_schedule = dg.build_schedule_from_partitioned_job(
    daily_qa_report_job,
    name="daily_qa_report_schedule",
    hour_of_day=1,
    minute_of_hour=0,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="The previous day's QA report, every day at 01:00 UTC.",
)
