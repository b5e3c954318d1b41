"""CSV exports of trends and breakdowns: the same numbers as the JSON, one row each,
for spreadsheets. Column names are the JSON field names."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from pydantic import BaseModel

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
    if value is None:
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


def to_csv(columns: Sequence[str], rows: Sequence[BaseModel]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        data = row.model_dump()
        writer.writerow([_cell(data.get(c)) for c in columns])
    return out.getvalue()
