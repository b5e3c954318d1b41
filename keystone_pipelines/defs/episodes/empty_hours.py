"""Hours in which nothing landed are materialized as empty, by the landing sensor, so that
"Missing" in the Dagster UI means "not processed yet", never "nothing to process".

A QA run costs seconds of CPU; reporting an event costs ~30 ms. So an empty hour gets no
run: the sensor reports the hour's three materializations (0 episodes, `empty: true`) and
its checks (passed, for that hour) as runless events. It looks at each hour once, after the
hour has ended and EMPTY_AFTER has passed (a recording's hour is its object's LastModified,
and the sensor may find it a little later). A later landing in such an hour is assessed by
the usual QA run, which materializes the hour again with what it holds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import dagster as dg

from keystone_pipelines.defs.episodes.checks import as_evaluation, gate_checks, qa_checks
from keystone_pipelines.defs.episodes.metadata import hour_metadata, landed_metadata
from keystone_pipelines.defs.episodes.partitions import first_hour, hour_key, hour_window
from keystone_pipelines.qa.landed_hours import hours_with_landings
from keystone_pipelines.qa.summary import HourSummary
from keystone_pipelines.resources import KeystoneResource

EMPTY_AFTER = timedelta(minutes=5)
# Hours looked at per tick (each a one-row index probe and, if empty, six events): a new
# deployment whose partitions start long ago catches up over a few ticks.
HOURS_PER_TICK = 24
NOTE = "Nothing landed in this hour (materialized as empty by landed_recordings_sensor)."


def hours_to_look_at(next_hour: str | None, now: datetime) -> list[datetime]:
    """From `next_hour` (the cursor; the first partition when unset) to the last hour that
    ended EMPTY_AFTER ago, at most HOURS_PER_TICK."""
    start = max(hour_window(next_hour)[0], first_hour()) if next_hour else first_hour()
    last_closed = hour_window(hour_key(now - EMPTY_AFTER))[0] - timedelta(hours=1)
    hours: list[datetime] = []
    while start <= last_closed and len(hours) < HOURS_PER_TICK:
        hours.append(start)
        start += timedelta(hours=1)
    return hours


def empty_hour_events(
    keystone: KeystoneResource, hours: list[datetime], instance: dg.DagsterInstance | None = None
) -> list[Any]:
    """The runless events that materialize each of `hours` in which nothing landed and that
    is not materialized yet (a reset cursor or a second sensor must not report an hour again:
    Dagster keeps one runless check result per hour and refuses a second)."""
    with keystone.sessions()() as session:
        landed = hours_with_landings(session, hours)
    done = (
        instance.get_materialized_partitions(dg.AssetKey("episode_qa")) if instance else set()
    )
    events: list[Any] = []
    for start in hours:
        if start not in landed and hour_key(start) not in done:
            events += _empty_hour(keystone, start)
    return events


def _empty_hour(keystone: KeystoneResource, start: datetime) -> list[Any]:
    key = hour_key(start)
    s = HourSummary(*hour_window(key))
    metadata = {
        "landed_recordings": landed_metadata(s),
        "episode_qa": {**hour_metadata(s, keystone), "assessed_in_this_run": 0},
        "review_gate": hour_metadata(s, keystone),
    }
    materializations = [
        dg.AssetMaterialization(asset_key=asset, partition=key, metadata=meta, description=NOTE)
        for asset, meta in metadata.items()
    ]
    checks = [as_evaluation(c, key) for c in qa_checks(s, keystone) + gate_checks(s, keystone)]
    return [*materializations, *checks]


def next_hour_after(hours: list[datetime], previous: str | None) -> str | None:
    """The cursor after looking at `hours`: the hour to start from next tick."""
    return hour_key(hours[-1] + timedelta(hours=1)) if hours else previous
