"""CSV exports of trends and breakdowns: the same numbers as the JSON, one row each,
for spreadsheets. Column names are the JSON field names. The rows come as DataFrames
(stats/frames.py), the same the daily QA report is written from."""

from __future__ import annotations

import csv
import io
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

COUNT_COLUMNS = [
    "episodes",
    "hours_recorded",
    "bytes",
    "pending_qa",
    "auto_approved",
    "needs_inspection",
    "inspector_approved",
    "rejected",
    "approved",
    "qa_passed",
    "synced",
    "qa_pass_rate",
    "auto_approval_rate",
    "sync_rate",
    "avg_qa_score",
]
TREND_COLUMNS = [
    "start",
    "label",
    *COUNT_COLUMNS,
    "tasks_completed",
    "tasks_failed",
    "upload_success_rate",
]
BREAKDOWN_COLUMNS = ["key", "name", *COUNT_COLUMNS]
MAX_ROWS = 10_000


def _cell(value: object) -> str:
    # A frame holds a missing rate as NaN (or None in a column of text).
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    # A name typed by a person must never run as a spreadsheet formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_csv(frame: pd.DataFrame) -> str:
    """The frame's columns as the header, a row each; numbers as Python prints them (numpy
    scalars become Python's first), times in ISO 8601, formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(frame.columns))
    columns = [frame[c].tolist() for c in frame.columns]
    for row in zip(*columns, strict=True):
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()
