"""The hourly partitions start at KEYSTONE_PARTITIONS_START: a date or a date and hour in UTC,
refused with a message naming the setting when it is malformed, not on the hour, in the
future, or (outside dev mode) unset; the code location's assets and checks start there."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from keystone_api.preflight import ConfigError, load_settings
from keystone_api.settings import Settings
from keystone_pipelines.defs.episodes.partitions import hourly_partitions, partitions_start
from tests.conftest import REPO_ROOT
from tests.support.settings_env import settings_env

NOW = datetime(2026, 6, 10, 14, 25, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-03-01T08", datetime(2026, 3, 1, 8, tzinfo=UTC)),
        ("2026-03-01T08:00", datetime(2026, 3, 1, 8, tzinfo=UTC)),
        ("2026-03-01 08:00", datetime(2026, 3, 1, 8, tzinfo=UTC)),
        ("2026-03-01-08:00", datetime(2026, 3, 1, 8, tzinfo=UTC)),  # a Dagster partition key
        ("2026-03-01T10:00+02:00", datetime(2026, 3, 1, 8, tzinfo=UTC)),
    ],
)
def test_the_start_is_a_date_or_a_date_and_hour_in_utc(text: str, start: datetime) -> None:
    assert Settings(partitions_start=text).partitions_start == start
    assert partitions_start(Settings(partitions_start=text), NOW) == start


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("march", "expected an ISO date (2026-03-01) or date and hour"),
        ("2026-13-01", "expected an ISO date"),
        ("01/03/2026", "expected an ISO date"),
        ("2026-03-01T08:30", "is not on the hour"),
    ],
)
def test_a_malformed_start_is_refused_naming_the_setting(text: str, says: str) -> None:
    with settings_env(partitions_start=text), pytest.raises(ConfigError) as refused:
        load_settings()
    assert str(refused.value).startswith("KEYSTONE_PARTITIONS_START: ")
    assert says in str(refused.value)


def test_unset_is_refused_in_production_and_today_in_dev_mode() -> None:
    with pytest.raises(ConfigError) as refused:
        partitions_start(Settings(partitions_start=""), NOW)
    assert str(refused.value).startswith("KEYSTONE_PARTITIONS_START: not set; set it to the day")
    today = partitions_start(Settings(partitions_start=None, dev_mode=True), NOW)
    assert today == datetime(2026, 6, 10, tzinfo=UTC)


def test_a_start_in_the_future_is_refused() -> None:
    with pytest.raises(ConfigError) as refused:
        partitions_start(Settings(partitions_start="2026-06-10T15"), NOW)
    assert str(refused.value) == (
        "KEYSTONE_PARTITIONS_START: 2026-06-10T15:00Z is in the future; recordings landing "
        "before it would have no partition"
    )
    # The current hour itself is a fine start.
    assert partitions_start(Settings(partitions_start="2026-06-10T14"), NOW).hour == 14


def test_the_partitions_run_from_the_start_to_the_current_hour() -> None:
    keys = hourly_partitions(datetime(2026, 6, 10, 11, tzinfo=UTC)).get_partition_keys(NOW)
    assert keys == ["2026-06-10-11:00", "2026-06-10-12:00", "2026-06-10-13:00", "2026-06-10-14:00"]


# The code location as Dagster loads it, in a process of its own with the setting.
FIRST_KEYS = """
import dagster as dg
from keystone_pipelines.definitions import defs

graph = defs.get_repository_def().asset_graph
for key in graph.get_all_asset_keys():
    node = graph.get(key)
    if node.partitions_def is not None:
        print(key.to_user_string(), node.partitions_def.get_first_partition_key())
for check in graph.asset_check_keys:
    spec = graph.get(check)
    if spec.partitions_def is not None:
        print(check.name, spec.partitions_def.get_first_partition_key())
"""


def _load_code_location(start: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KEYSTONE_PARTITIONS_START": start}
    return subprocess.run(
        [sys.executable, "-c", FIRST_KEYS],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.mark.slow
def test_the_code_location_starts_every_hourly_asset_and_check_at_the_setting() -> None:
    start = (datetime.now(UTC) - timedelta(days=3)).replace(hour=5, minute=0)
    loaded = _load_code_location(start.strftime("%Y-%m-%dT%H:00"))
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    first = dict(line.split(" ", 1) for line in loaded.stdout.splitlines())
    expected = start.strftime("%Y-%m-%d-05:00")
    assert first == {
        name: expected
        for name in (
            "landed_recordings",
            "episode_qa",
            "review_gate",
            "cloud_sync",
            "stuck_pending_qa",
            "qa_failure_rate",
            "awaiting_inspection",
        )
    } | {"daily_qa_report": start.strftime("%Y-%m-%d")}  # the daily report: from that day


@pytest.mark.slow
def test_the_code_location_refuses_to_load_with_a_malformed_start() -> None:
    loaded = _load_code_location("yesterday")
    assert loaded.returncode != 0
    assert "KEYSTONE_PARTITIONS_START: Value error, expected an ISO date" in loaded.stderr
