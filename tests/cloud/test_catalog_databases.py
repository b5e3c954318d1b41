"""The catalog on both databases the cloud runs on (MariaDB in production, SQLite under
`keystone dev`): migration 0012 catalogues the episodes received before it from their
sidecars and admits data readers; the catalog's queries and the factory summary answer the
same on both."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import Principal
from keystone_api.cloud import catalog, factory_summary
from keystone_api.cloud.catalog_facts import apply_facts
from keystone_api.cloud.catalog_schemas import CatalogFilters
from keystone_api.cloud.models import CloudEpisode
from keystone_api.cloud.schemas import CatalogFacts
from keystone_api.db import migrate
from keystone_api.db.engine import make_engine
from tests.support import mysql

READER = Principal("tool", Role.data_reader, "t1", "t1")
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
OLD_SIDECAR = {
    "task": {"task_id": "t-1", "scene": "Garage", "skills": ["lift", "Lift", 3], "order_id": "o-1"},
    "device": {"device_id": "dev-1"},
}


@pytest.fixture(params=["mariadb", "sqlite"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cloud.db'}"
        return
    url = mysql.create_database("ks_catalog")
    try:
        yield url
    finally:
        mysql.drop_database(url)


def _old_episode(url: str) -> None:
    """An episode as the cloud kept it before 0012."""
    engine = make_engine(url)
    row = {
        "episode_id": "old-1",
        "factory_id": "f-old",
        "approved_at": "2026-11-19 08:00:00",
        "mcap_key": "f-old/episodes/old-1/data.mcap",
        "sidecar_key": "f-old/episodes/old-1/sidecar.json",
        "mcap_sha256": "a" * 64,
        "sidecar_sha256": "b" * 64,
        "mcap_size_bytes": 100,
        "sidecar_size_bytes": 10,
        "sidecar": json.dumps(OLD_SIDECAR),
        "verified_by": "read",
        "delivered_by": "service:x",
        "synced_at": "2026-11-19 09:00:00",
    }
    columns = ", ".join(row)
    with engine.begin() as conn:
        conn.execute(
            text(f"INSERT INTO cloud_episodes ({columns}) VALUES (:{', :'.join(row)})"), row
        )
    engine.dispose()


def _episode(session: Session, episode_id: str, factory: str, hours: int, **facts: Any) -> None:
    row = CloudEpisode(
        episode_id=episode_id,
        factory_id=factory,
        approved_at=T0 + timedelta(hours=hours),
        mcap_key=f"{factory}/episodes/{episode_id}/data.mcap",
        sidecar_key=f"{factory}/episodes/{episode_id}/sidecar.json",
        mcap_sha256="c" * 64,
        sidecar_sha256="d" * 64,
        mcap_size_bytes=1000,
        sidecar_size_bytes=50,
        sidecar={},
        verified_by="read",
        delivered_by="service:x",
        synced_at=T0 + timedelta(hours=hours, minutes=5),
    )
    session.add(row)
    session.flush()
    session.add_all(apply_facts(row, CatalogFacts(**facts)))


def test_the_catalog_answers_the_same_on_both_databases(database: str) -> None:
    migrate.upgrade(database, "0011")
    _old_episode(database)
    migrate.upgrade(database)
    engine = make_engine(database)
    sessions = sessionmaker(engine)
    try:
        with sessions.begin() as session:
            _episode(session, "e1", "f1", 0, scene="Kitchen", skills=["grasp"], qa_score=0.9)
            _episode(session, "e2", "f1", 1, scene="Kitchen", labels=["Night", "night"])
            _episode(session, "e3", "f2", 2, scene="Laundry", robot_type="Arm", qa_score=0.5)
            session.execute(
                text(
                    "INSERT INTO users (id, username, display_name, password_hash, role, active,"
                    " token_version, created_at, updated_at) VALUES ('u1', 'r', 'r', 'x',"
                    " 'data_reader', 1, 1, '2026-11-20', '2026-11-20')"
                )
            )
        with sessions() as session:
            old = catalog.detail(session, READER, "old-1")
            assert (old["scene"], old["skills"]) == ("Garage", ["lift"])  # 3 is no skill
            assert (old["origin"]["task_id"], old["origin"]["order_id"]) == ("t-1", "o-1")
            assert old["origin"]["device_id"] == "dev-1" and old["qa_checks"] == []

            def found(**q: Any) -> list[str]:
                page = catalog.search(session, READER, CatalogFilters(**q))
                return [e["episode_id"] for e in page["items"]]

            assert found() == ["e3", "e2", "e1", "old-1"]
            assert found(scene="Kitchen") == ["e2", "e1"]
            assert found(skill=["lift"]) == ["old-1"]
            assert found(label=["Night"]) == ["e2"]  # one tag, as MariaDB's collation sees it
            assert found(score_min=0.6) == ["e1"]
            assert found(approved_from=T0, approved_to=T0 + timedelta(hours=2)) == ["e2", "e1"]

            summary = factory_summary.factory(session, READER, "f1")
            assert (summary["episodes"], summary["bytes"]) == (2, 2100)
            assert summary["last_synced_at"] == T0 + timedelta(hours=1, minutes=5)
            assert summary["lag"]["median_s"] == summary["lag"]["max_s"] == 300.0
            assert summary["days"] == []  # received in 2026-11, longer than 14 days ago
            listed = factory_summary.factories(session, READER)
            assert [f["factory_id"] for f in listed] == ["f-old", "f1", "f2"]
    finally:
        engine.dispose()
    migrate.downgrade(database, "0011")  # the data reader's account goes with the role
