"""Trend: the period cut into hours, days, weeks or months of the viewer's time.

The database groups by local hour (granularity hour) or local day (day, week, month);
weeks (from Monday) and months are rolled up here from days, so only two bucket
expressions exist per dialect. Every bucket of the period is returned, empty ones as zeros,
so charts get an even time axis.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import literal_column, select
from sqlalchemy.orm import Session

from keystone_api.episodes.models import Episode
from keystone_api.orders.models import Task
from keystone_api.stats import aggregates as agg
from keystone_api.stats.schemas import Period, TrendOut, TrendPoint, TrendQuery
from keystone_api.stats.scope import Scope
from keystone_api.stats.sqlfuncs import time_bucket


def bucket_start(local: datetime, granularity: str) -> datetime:
    """The local (naive) start of the bucket holding `local`."""
    if granularity == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    day = datetime.combine(local.date(), datetime.min.time())
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def next_bucket(start: datetime, granularity: str) -> datetime:
    if granularity == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + {"hour": timedelta(hours=1), "day": timedelta(days=1)}.get(
        granularity, timedelta(days=7)
    )


def buckets(
    start: datetime, end: datetime, offset: timedelta, granularity: str
) -> Iterator[datetime]:
    """Local starts of every bucket that overlaps [start, end)."""
    cursor = bucket_start((start + offset).replace(tzinfo=None), granularity)
    last = (end + offset).replace(tzinfo=None)
    while cursor < last:
        yield cursor
        cursor = next_bucket(cursor, granularity)


def parse_bucket(text: Any) -> datetime:
    """'YYYY-MM-DD HH:00:00' or 'YYYY-MM-DD', as the dialects' bucket expressions give."""
    value = str(text)
    if len(value) > 10:
        return datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S")
    return datetime.strptime(value[:10], "%Y-%m-%d")


def label(local: datetime, granularity: str) -> str:
    return local.strftime("%Y-%m-%d %H:00" if granularity == "hour" else "%Y-%m-%d")


def trend(session: Session, scope: Scope, q: TrendQuery) -> TrendOut:
    start, end = q.period
    unit = "hour" if q.granularity == "hour" else "day"
    sums: dict[datetime, agg.Sums] = {}

    def add(rows: Any) -> None:
        for row in rows:
            key = bucket_start(parse_bucket(row.slot), q.granularity)
            sums.setdefault(key, agg.Sums()).add(row)

    # GROUP BY names the label; MariaDB resolves a name to a table column first, so the
    # label must not be a column name (episodes has a `bucket`, the S3 one).
    bucket = time_bucket(Episode.landed_at, unit, q.tz_offset_minutes).label("slot")
    episodes = agg.episode_select(bucket).where(*scope.episodes((start, end)))
    add(session.execute(episodes.group_by(literal_column("slot"))))

    bucket = time_bucket(Task.updated_at, unit, q.tz_offset_minutes).label("slot")
    tasks = scope.tasks(
        select(bucket, *agg.task_columns()).where(
            Task.status.in_(agg.ENDED), Task.updated_at >= start, Task.updated_at < end
        )
    )
    add(session.execute(tasks.group_by(literal_column("slot"))))

    offset = timedelta(minutes=q.tz_offset_minutes)
    items = []
    for local in buckets(start, end, offset, q.granularity):
        row = sums.get(local) or agg.Sums()
        items.append(
            TrendPoint(
                start=(local - offset).replace(tzinfo=UTC),
                label=label(local, q.granularity),
                **agg.counts(row),
                **agg.task_counts(row),
            )
        )
    return TrendOut(
        granularity=q.granularity,
        tz_offset_minutes=q.tz_offset_minutes,
        period=Period(start=start, end=end),
        items=items,
    )
