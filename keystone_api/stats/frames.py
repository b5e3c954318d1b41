"""The statistics as pandas DataFrames: the dashboard's CSV exports (stats/router.py) and the
daily QA report (keystone_pipelines/defs/reports/) are both made of these frames, so a number
is computed once, by the queries of trend.py, breakdown.py and failures.py.

The report's tables for one factory and one period (a UTC day):
- by_check: per QA check, the episodes it judged, passed and failed, and on how many robots
  and stations it failed;
- by_robot, by_station, by_collector: the breakdown's columns (breakdown.csv's, exactly)
  plus the failures: assessed, failed_qa (assessed episodes with a failed check),
  failed_checks (failed check results) and top_failed_check; most failures first;
- by_hour: the hourly trend's columns (trend.csv's) plus the same failures and `hour` (0-23
  UTC), every hour of the period, empty ones as zeros (an even axis for a chart).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from pydantic import BaseModel
from sqlalchemy.orm import Session

from keystone_api.episodes.models import Episode
from keystone_api.stats import failures
from keystone_api.stats.breakdown import DIMENSIONS, NONE_KEY, breakdown_all
from keystone_api.stats.export import BREAKDOWN_COLUMNS, MAX_ROWS, TREND_COLUMNS
from keystone_api.stats.schemas import DimensionQuery, TrendQuery
from keystone_api.stats.scope import Scope
from keystone_api.stats.sqlfuncs import time_bucket
from keystone_api.stats.trend import label, parse_bucket, trend

CHECK_COLUMNS = ["check", "checked", "passed", "failed", "robots", "stations"]
FAILURE_COLUMNS = ["assessed", "failed_qa", "failed_checks", "top_failed_check"]
# report table -> breakdown dimension
DIMENSION_TABLES = {"by_robot": "robot", "by_station": "workstation", "by_collector": "collector"}
REPORT_TABLES = ("by_check", *DIMENSION_TABLES, "by_hour")
REPORT_COLUMNS: dict[str, list[str]] = {
    "by_check": CHECK_COLUMNS,
    **{table: [*BREAKDOWN_COLUMNS, *FAILURE_COLUMNS] for table in DIMENSION_TABLES},
    "by_hour": ["hour", *TREND_COLUMNS, *FAILURE_COLUMNS],
}


def rows_frame(columns: Sequence[str], rows: Sequence[BaseModel]) -> pd.DataFrame:
    """Response rows as a frame of exactly `columns` (their JSON field names)."""
    wanted = set(columns)
    return pd.DataFrame([row.model_dump(include=wanted) for row in rows], columns=list(columns))


def trend_frame(session: Session, scope: Scope, q: TrendQuery) -> pd.DataFrame:
    return rows_frame(TREND_COLUMNS, trend(session, scope, q).items)


def breakdown_frame(
    session: Session, scope: Scope, q: DimensionQuery, cap: int = MAX_ROWS
) -> pd.DataFrame:
    """Every group (up to `cap`), most episodes first."""
    return rows_frame(BREAKDOWN_COLUMNS, breakdown_all(session, scope, q, cap))


def qa_report_frames(
    session: Session, factory_id: str, start: datetime, end: datetime
) -> dict[str, pd.DataFrame]:
    """The daily QA report's tables (REPORT_TABLES) of one factory's episodes that landed
    in [start, end)."""
    scope = Scope(factory_id=factory_id, collector_id=None, filters={})
    period = (start, end)
    frames = {"by_check": _checks(session, scope, period)}
    for table, dimension in DIMENSION_TABLES.items():
        q = DimensionQuery(start=start, end=end, factory_id=factory_id, dimension=dimension)
        counts = breakdown_frame(session, scope, q)
        failed = failures.failed_by(session, scope, period, DIMENSIONS[dimension][0])
        keyed = {NONE_KEY if k is None else str(k): v for k, v in failed.items()}
        frames[table] = _most_failed_first(_with_failures(counts, counts["key"], keyed))
    day = TrendQuery(start=start, end=end, factory_id=factory_id, granularity="hour")
    hours = trend_frame(session, scope, day)
    slot = time_bucket(Episode.landed_at, "hour", 0)
    failed = failures.failed_by(session, scope, period, slot)
    keyed = {label(parse_bucket(k), "hour"): v for k, v in failed.items()}
    hours.insert(0, "hour", [int(text[11:13]) for text in hours["label"]])
    frames["by_hour"] = _with_failures(hours, hours["label"], keyed)
    return {table: frames[table][REPORT_COLUMNS[table]] for table in REPORT_TABLES}


def _checks(session: Session, scope: Scope, period: tuple[datetime, datetime]) -> pd.DataFrame:
    rows = [
        {"check": r.check_name, **{c: int(getattr(r, c)) for c in CHECK_COLUMNS[1:]}}
        for r in failures.by_check(session, scope, period)
    ]
    frame = pd.DataFrame(rows, columns=CHECK_COLUMNS)
    return frame.sort_values(["failed", "check"], ascending=[False, True], ignore_index=True)


def _with_failures(
    frame: pd.DataFrame, keys: pd.Series, failed: dict[str, Counter[str]]
) -> pd.DataFrame:
    out = frame.copy()
    # assessed and failed_qa from the same counts as qa_pass_rate (stats/rates.py):
    # qa_passed of the assessed episodes (every one not pending QA).
    out["assessed"] = (out["episodes"] - out["pending_qa"]).astype("int64")
    out["failed_qa"] = (out["assessed"] - out["qa_passed"]).astype("int64")
    out["failed_checks"] = pd.Series(
        [sum(failed.get(k, {}).values()) for k in keys], index=out.index, dtype="int64"
    )
    out["top_failed_check"] = pd.Series(
        [failures.top_check(failed.get(k)) for k in keys], index=out.index, dtype="object"
    )
    return out


def _most_failed_first(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(
        ["failed_qa", "failed_checks", "episodes", "key"],
        ascending=[False, False, False, True],
        ignore_index=True,
    )
