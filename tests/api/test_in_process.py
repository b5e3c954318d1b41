"""The in-process client (tests/support/in_process.py) keeps what it promises: the app's
writes stay in the test's transaction, where the app's every session sees them and no
other connection does, and the process's sessions are the engine's again afterwards."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from keystone_api.db.engine import get_engine, get_sessionmaker
from tests.api.world import build_world
from tests.support.in_process import app_sessions_on, rolled_back


def _committed_factories(engine: Engine, factory_id: str) -> int:
    with engine.connect() as other:
        query = text("SELECT COUNT(*) FROM factories WHERE id = :id")
        return int(other.execute(query, {"id": factory_id}).scalar_one())


def test_the_apps_writes_stay_in_the_tests_transaction(
    in_process_client: TestClient, engine: Engine
) -> None:
    world = build_world(in_process_client, stations=1)
    assert world.user("operator")  # a login: a unit of work outside FastAPI's dependencies
    assert _committed_factories(engine, world.factory_id) == 0


def test_the_process_sessions_are_the_engines_again_afterwards(engine: Engine) -> None:
    with (
        rolled_back(engine) as connection,
        app_sessions_on(connection),
        get_sessionmaker()() as session,
    ):
        assert session.get_bind() is connection
    with get_sessionmaker()() as session:
        assert session.get_bind() is get_engine()
