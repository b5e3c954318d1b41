"""Episodes are partitioned by the hour their recording landed (not one partition per
episode: at 6,000 an hour that passes Dagster's recommended 100,000 partitions in a day)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

HOUR_FORMAT = "%Y-%m-%d-%H:%M"

hourly = dg.HourlyPartitionsDefinition(
    start_date="2025-01-01-00:00",
    timezone="UTC",
    # The current hour is a partition too: its recordings are assessed as they land.
    end_offset=1,
)


def hour_key(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0).strftime(HOUR_FORMAT)


def hour_window(key: str) -> tuple[datetime, datetime]:
    start = datetime.strptime(key, HOUR_FORMAT).replace(tzinfo=UTC)
    return start, start + timedelta(hours=1)
