"""A day's report as Dagster metadata: each table's top rows as a table (with the factory
they are of), the day's totals, and where the files are."""

from __future__ import annotations

import math
from typing import Any

import dagster as dg
import pandas as pd

from keystone_pipelines.defs.reports.store import report_prefix

# Rows shown per table (the files hold them all); by_hour shows every hour.
SHOWN_ROWS = 25
# Tables read most-failures-first, and the column that orders them across factories.
FAILURES_FIRST = {
    "by_check": "failed",
    "by_robot": "failed_qa",
    "by_station": "failed_qa",
    "by_collector": "failed_qa",
}
KINDS = {"int64": "int", "float64": "float", "bool": "bool"}


def _plain(value: Any) -> str | int | float | bool | None:
    """A cell as Dagster stores it: NaN as None, times in ISO 8601."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return value  # type: ignore[no-any-return]


def _kind(series: pd.Series) -> str:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return "datetime"
    return KINDS.get(str(series.dtype), "string")


def edge_table(table: str, by_factory: dict[str, dict[str, pd.DataFrame]]) -> pd.DataFrame:
    """One table of every factory, a factory_id column first; what the metadata shows."""
    parts = [
        frames[table].assign(factory_id=factory_id)[["factory_id", *frames[table].columns]]
        for factory_id, frames in by_factory.items()
    ]
    if not parts:
        return pd.DataFrame(columns=["factory_id"])
    frame = pd.concat(parts, ignore_index=True)
    if table in FAILURES_FIRST:
        # Stable: within a factory the table's own order (most failures first) stays.
        frame = frame.sort_values(FAILURES_FIRST[table], ascending=False, kind="stable")
        frame = frame.head(SHOWN_ROWS)
    return frame.reset_index(drop=True)


def table_value(frame: pd.DataFrame) -> dg.TableMetadataValue:
    schema = dg.TableSchema(
        columns=[dg.TableColumn(str(name), _kind(frame[name])) for name in frame.columns]
    )
    names = [str(name) for name in frame.columns]
    cells = zip(*(frame[name].tolist() for name in frame.columns), strict=True)
    records = [dg.TableRecord(dict(zip(names, map(_plain, row), strict=True))) for row in cells]
    return dg.MetadataValue.table(records=records, schema=schema)


def files_markdown(day: str, buckets: dict[str, str], skipped: dict[str, str]) -> str:
    lines = [f"- `{fid}`: `s3://{bucket}/{report_prefix(day)}`" for fid, bucket in buckets.items()]
    lines += [f"- `{fid}`: not written ({why})" for fid, why in skipped.items()]
    return "\n".join(lines) or "No live factory."
