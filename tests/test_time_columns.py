"""Times are stored as UTC and come back aware, whatever offset they were written with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from keystone_api.registry.models import Organization


def test_times_round_trip_as_aware_utc(db) -> None:
    shanghai = timezone(timedelta(hours=8))
    org = Organization(name="tz-org", archived_at=datetime(2026, 1, 1, 18, 0, 0, 123456, shanghai))
    db.add(org)
    db.flush()
    db.expire_all()
    loaded = db.get(Organization, org.id)
    assert loaded.archived_at == datetime(2026, 1, 1, 10, 0, 0, 123456, UTC)
    assert loaded.archived_at.tzinfo is not None
    assert loaded.created_at.tzinfo is not None


def test_naive_times_are_refused(db) -> None:
    db.add(Organization(name="naive-org", archived_at=datetime(2026, 1, 1)))
    with pytest.raises(Exception, match="naive datetime"):
        db.flush()
    db.rollback()


def test_versions_count_updates(db) -> None:
    org = Organization(name="v-org")
    db.add(org)
    db.flush()
    assert org.version == 1
    org.description = "changed"
    db.flush()
    assert org.version == 2
