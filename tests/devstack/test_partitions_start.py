"""`keystone dev`'s KEYSTONE_PARTITIONS_START: the hour of its first start, kept in the state
directory so that later starts keep the earlier hours' partitions; a state directory from
before it was kept counts from its first start (when its secrets.json was written)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from keystone_api.settings import Settings
from keystone_dev.devstack.config import dev_keys, partitions_start

FIRST = datetime(2026, 11, 3, 9, 41, tzinfo=UTC)


def test_the_first_start_is_kept_across_starts(tmp_path: Path) -> None:
    assert partitions_start(tmp_path, FIRST) == "2026-11-03T09:00"
    assert partitions_start(tmp_path, FIRST + timedelta(days=2)) == "2026-11-03T09:00"
    # What the code location reads it as.
    start = Settings(partitions_start=partitions_start(tmp_path)).partitions_start
    assert start == datetime(2026, 11, 3, 9, tzinfo=UTC)
    other = tmp_path / "other"
    other.mkdir()
    assert partitions_start(other, FIRST + timedelta(days=2)) == "2026-11-05T09:00"


def test_a_state_directory_from_before_counts_from_its_first_start(tmp_path: Path) -> None:
    dev_keys(tmp_path)  # its first start wrote the keys ...
    earlier = FIRST.timestamp()
    os.utime(tmp_path / "secrets.json", (earlier, earlier))
    # ... days before this start, which is the first to keep a partitions start.
    assert partitions_start(tmp_path, FIRST + timedelta(days=5)) == "2026-11-03T09:00"
