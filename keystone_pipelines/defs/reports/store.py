"""Where and how a day's report is kept: in the factory's bucket, under QA's own prefix (the
qa process key may write only under `qa/`: keystone_api/storage/policies.py), one Parquet and
one CSV file per table, so a notebook reads the Parquet and a spreadsheet the CSV:

    qa/reports/daily/YYYY-MM-DD/by_check.parquet, by_check.csv, by_robot.parquet, ...

Evidence pictures live under `qa/{recording key}/`; recording keys start with a factory id
or `batches/`, never `reports/`, so the two never meet. Written again, a day's files are
replaced (the asset is safe to re-run)."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from keystone_api.stats.export import to_csv
from keystone_api.storage.layout import EVIDENCE_ROOT

REPORTS_ROOT = EVIDENCE_ROOT + "reports/daily/"
PARQUET = "application/vnd.apache.parquet"
CSV = "text/csv; charset=utf-8"
NO_BUCKET = ("NoSuchBucket", "404", "NotFound")


def report_prefix(day: str) -> str:
    return f"{REPORTS_ROOT}{day}/"


def bucket_exists(s3: Any, bucket: str) -> bool:
    """Asked first, not learnt from a failed PUT: some stores (SeaweedFS) make a missing
    bucket on a PUT by an admin key. HEAD needs only the qa key's ListBucket."""
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in NO_BUCKET:
            return False
        raise
    return True


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.to_parquet(out, index=False, engine="pyarrow")
    return out.getvalue()


def write_report(s3: Any, bucket: str, day: str, frames: dict[str, pd.DataFrame]) -> list[str]:
    """Put every table as `<table>.parquet` and `<table>.csv`; the keys written."""
    keys = []
    for table, frame in frames.items():
        files = [
            (f"{table}.parquet", parquet_bytes(frame), PARQUET),
            # The dashboard's CSV writer: same cells, formulas neutralised for spreadsheets.
            (f"{table}.csv", to_csv(frame).encode(), CSV),
        ]
        for name, body, content_type in files:
            key = report_prefix(day) + name
            s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
            keys.append(key)
    return keys
