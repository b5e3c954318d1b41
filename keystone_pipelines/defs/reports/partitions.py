"""Days (UTC) from the day of KEYSTONE_PARTITIONS_START, the first hourly partition: a day
is a partition once it has ended (end_offset 0), so a report is never of half a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

from keystone_pipelines.defs.episodes.partitions import first_hour

DAY_FORMAT = "%Y-%m-%d"

daily = dg.DailyPartitionsDefinition(
    start_date=first_hour().strftime(DAY_FORMAT), timezone="UTC", end_offset=0
)


def day_window(key: str) -> tuple[datetime, datetime]:
    """[start, end) of a day key, UTC; ValueError for a key that is no date."""
    start = datetime.strptime(key, DAY_FORMAT).replace(tzinfo=UTC)
    return start, start + timedelta(days=1)
