"""Episodes are partitioned by the hour their recording landed (not one partition per
episode: at 6,000 an hour that passes Dagster's recommended 100,000 partitions in a day).

The first hour is KEYSTONE_PARTITIONS_START, the day this edge started recording. A fixed
date in the code (it was 2025-01-01) showed thousands of hours nothing could ever land in as
"Missing", and put them all in "Materialize all". There is no safe default to guess in
production: "today at load" would move the start forward at every restart of the code
server, and the hours before it (with their materializations) would vanish from the UI. So
outside dev mode the code location refuses to load without it; in dev mode it defaults to
the start of today (`keystone dev` sets its first start, kept in its state directory)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

from keystone_api.db.base import utcnow
from keystone_api.preflight import ConfigError, load_settings
from keystone_api.settings import PARTITIONS_START_FORMS, Settings

HOUR_FORMAT = "%Y-%m-%d-%H:%M"


def partitions_start(settings: Settings, now: datetime | None = None) -> datetime:
    """The first partition's hour (UTC), or a ConfigError naming KEYSTONE_PARTITIONS_START."""
    now = now or utcnow()
    start = settings.partitions_start
    if start is None:
        if not settings.dev_mode:
            raise ConfigError(
                "KEYSTONE_PARTITIONS_START: not set; set it to the day this edge started "
                f"recording ({PARTITIONS_START_FORMS}): the hourly partitions start there"
            )
        start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if start > now:
        raise ConfigError(
            f"KEYSTONE_PARTITIONS_START: {start:%Y-%m-%dT%H:%M}Z is in the future; recordings "
            "landing before it would have no partition"
        )
    return start


def hourly_partitions(start: datetime) -> dg.HourlyPartitionsDefinition:
    return dg.HourlyPartitionsDefinition(
        start_date=start.strftime(HOUR_FORMAT),
        timezone="UTC",
        # The current hour is a partition too: its recordings are assessed as they land.
        end_offset=1,
    )


hourly = hourly_partitions(partitions_start(load_settings()))


def hour_key(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0).strftime(HOUR_FORMAT)


def hour_window(key: str) -> tuple[datetime, datetime]:
    start = datetime.strptime(key, HOUR_FORMAT).replace(tzinfo=UTC)
    return start, start + timedelta(hours=1)


def first_hour() -> datetime:
    """The first partition's start (UTC)."""
    return hourly.start.astimezone(UTC)


def has_partition(key: str) -> bool:
    """Whether an hour key is a partition (not before the start; keys sort as times)."""
    return key >= hour_key(first_hour())
