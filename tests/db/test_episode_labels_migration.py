"""Migration 0015 on MariaDB and SQLite: episodes already landed get their task_text and
their (valid, normalized) JSON labels as episode_labels rows, the JSON column goes (in place,
while other rows refer to the episode), and a downgrade puts the labels back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from keystone_api.db import migrate
from keystone_api.episodes.search import task_text
from tests.support import mysql

TASK = {"task_id": "task_0001", "scene": "Küche", "operator_name": "Zoë Ångström"}


def _filler(column: Any) -> Any:
    kind = str(column["type"]).upper()
    if "CHAR" in kind or "TEXT" in kind:
        return "x"
    if "JSON" in kind:
        return "{}"
    if "DATETIME" in kind or "TIMESTAMP" in kind:
        return "2026-03-02 10:00:00"
    return 0


@pytest.fixture(params=["sqlite", "mariadb"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'k.db'}"
        return
    url = mysql.create_database("ks_m0015")
    try:
        yield url
    finally:
        mysql.drop_database(url)


def _columns(conn: Any) -> list[str]:
    return [c["name"] for c in inspect(conn).get_columns("episodes")]


def test_migration_0015_fills_task_text_and_labels_and_back(database: str) -> None:
    migrate.upgrade(database, "0012")
    engine = create_engine(database)  # not make_engine: no foreign keys on SQLite
    try:
        with engine.begin() as conn:
            if conn.dialect.name != "sqlite":
                conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))  # no registries behind it
            needed = [c for c in inspect(conn).get_columns("episodes") if not c["nullable"]]
            row = {c["name"]: _filler(c) for c in needed} | {
                "id": "e1",
                "status": "pending_qa",
                "evidence_keys": "[]",
                "sidecar": json.dumps({"task": TASK}),
                "labels": json.dumps(["Night Shift", "bad label!", "night-shift"]),
            }
            names = ", ".join(row)
            conn.execute(text(f"INSERT INTO episodes ({names}) VALUES (:{', :'.join(row)})"), row)
            # A row referring to the episode: the column is dropped in place, not by copying.
            conn.execute(
                text(
                    "INSERT INTO episode_status_history (id, episode_id, to_status, actor, "
                    "cause, at) VALUES ('h1', 'e1', 'pending_qa', 't', '', :at)"
                ),
                {"at": "2026-03-02 10:00:00"},
            )
        migrate.upgrade(database, "0015")
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT task_text FROM episodes")).scalar_one()
            labels = conn.execute(text("SELECT label, created_by FROM episode_labels")).all()
            assert "labels" not in _columns(conn)
        assert stored == task_text({"task": TASK}) == "task_0001\nküche\nzoë ångström"
        assert [tuple(r) for r in labels] == [("night-shift", "migration")]
        migrate.downgrade(database, "0012")
        with engine.connect() as conn:
            restored = conn.execute(text("SELECT labels FROM episodes")).scalar_one()
            assert "task_text" not in _columns(conn)
        assert json.loads(restored) == ["night-shift"]
    finally:
        engine.dispose()
