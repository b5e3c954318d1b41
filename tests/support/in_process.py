"""The edge app called in-process, every write of a test rolled back after it.

For API tests that only send requests and read answers: no server, no port, no data left
for the next test. A module opts in by overriding the live `client` (and so `world`, which
is built on it) with tests/conftest.py's `in_process_client`:

    @pytest.fixture
    def client(in_process_client: TestClient) -> TestClient:
        return in_process_client

Not for tests that need what only a live server has: the group commit (robot callbacks
and device heartbeats write on connections of their own, outside the test's transaction),
WebSockets, TLS, concurrent requests, or another process reading what the test wrote.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back at the end; sessions joined to
    it may commit freely (their commits release SAVEPOINTs of that transaction)."""
    connection = engine.connect()
    outer = connection.begin()
    try:
        yield connection
    finally:
        outer.rollback()
        connection.close()


@contextmanager
def app_sessions_on(connection: Connection) -> Iterator[None]:
    """Every session this process's code opens through get_sessionmaker() (the request
    boundary, the unit of work, the tokens tests mint) joins `connection`'s transaction.

    The sessionmaker, not get_db: logins, heartbeats and callback authentication open
    their sessions through the unit of work, outside FastAPI's dependencies, and would
    not see the users and robots a test made in its transaction."""
    from keystone_api.db.engine import get_sessionmaker

    maker = get_sessionmaker()
    saved = dict(maker.kw)
    maker.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield
    finally:
        maker.kw.clear()
        maker.kw.update(saved)


@functools.cache
def edge_app() -> Any:
    """The edge app, built once as the live server's is. Its lifespan never runs: it would
    dispose of the process's engine whenever a test's client closed."""
    from keystone_api.app import create_app

    return create_app()
