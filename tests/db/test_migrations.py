"""Alembic is the only way the schema changes: it builds the whole schema from empty on
MariaDB and SQLite, tears it down again, and agrees with the models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from keystone_api.db import migrate
from keystone_api.db.engine import make_engine
from keystone_api.db.models import Base
from tests.support import mysql

EXPECTED_TABLES = {
    "organizations",
    "factories",
    "scenes",
    "subscenes",
    "skills",
    "subscene_skills",
    "operations",
    "sops",
    "robot_types",
    "robots",
    "data_collectors",
    "workstations",
    "workstation_pairings",
    "orders",
    "batches",
    "tasks",
    "task_transitions",
    "episodes",
    "qa_checks",
    "qa_assessments",
    "qa_spec_versions",
    "qa_reassess_requests",
    "qa_reassess_marks",
    "inspection_decisions",
    "inspection_annotations",
    "spot_checks",
    "episode_status_history",
    "episode_labels",
    "episode_sync",
    "sync_attempts",
    "replica_outbox",
    "cloud_episodes",
    "cloud_episode_tags",
    "cloud_organizations",
    "cloud_orders",
    "cloud_batches",
    "cloud_tasks",
    "users",
    "inspectors",
    "robot_type_configs",
    "task_uploads",
    "operator_events",
    "enrollment_secrets",
    "api_tokens",
}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.fixture(params=["mariadb", "sqlite"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'keystone.db'}"
        return
    url = mysql.create_database("ks_migr")
    yield url
    mysql.drop_database(url)


def test_upgrade_from_empty_then_downgrade_to_base(empty_database: str) -> None:
    assert _tables(empty_database) == set()
    migrate.upgrade(empty_database)
    assert _tables(empty_database) >= EXPECTED_TABLES
    assert migrate.current_revision(empty_database) is not None
    migrate.downgrade(empty_database, "base")
    assert _tables(empty_database) == set()
    assert migrate.current_revision(empty_database) is None


def test_models_and_migrations_agree(empty_database: str) -> None:
    # In a fresh interpreter: Dagster, once imported by another test in this worker, compiles
    # every Float as FLOAT(32) (= DOUBLE) on MySQL process-wide (dagster/_core/storage/sql.py),
    # which would make this process's DDL differ from what `keystone db upgrade` creates.
    code = (
        "import sys; from keystone_api.db import migrate; migrate.upgrade(sys.argv[1]); "
        "drift = migrate.schema_drift(sys.argv[1]); print(drift); sys.exit(1 if drift else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, empty_database], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_model_table_is_expected() -> None:
    assert set(Base.metadata.tables) == EXPECTED_TABLES


def test_foreign_keys_are_enforced_on_sqlite_too(tmp_path: Path) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    url = f"sqlite:///{tmp_path / 'fk.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO scenes (id, factory_id, name, description, created_at, updated_at)"
                    " VALUES ('a', 'missing', 'n', '', '2026-01-01', '2026-01-01')"
                )
            )
    finally:
        engine.dispose()
