"""Engines and sessions, made on first use (never at import time)."""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from keystone_api.settings import get_settings


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the options each dialect needs to behave like the other."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )

        from keystone_api.db import sqlite

        sqlite.configure(engine)
        return engine
    settings = get_settings()
    timeout = settings.database_connect_timeout_s
    connect_args = {
        "connect_timeout": timeout,
        # A dead server must answer 503 quickly, never hang a request.
        "read_timeout": 30,
        "write_timeout": 30,
        "charset": "utf8mb4",
    }
    kwargs.setdefault("pool_size", settings.database_pool_size)
    kwargs.setdefault("max_overflow", settings.database_pool_size)
    kwargs.setdefault("pool_timeout", timeout)
    engine = create_engine(
        url,
        connect_args=connect_args,
        pool_recycle=3600,
        # SQLAlchemy 2 ends every Connection's transaction before it returns to the pool
        # (commit, or rollback on close), but after a commit the pool's own reset still
        # sends a ROLLBACK: one wasted round trip per request on the hottest paths.
        pool_reset_on_return=None,
        isolation_level="READ COMMITTED",
        **kwargs,
    )
    _ping_when_idle(engine)
    return engine


# A connection used within this many seconds is trusted without a ping: a busy API saves a
# round trip per request, and one idle longer (maybe cut by a restart or a firewall) is
# checked first, as pool_pre_ping would.
IDLE_PING_S = 5.0


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("checked_in", 0.0) <= IDLE_PING_S:
            return
        try:
            dbapi_conn.ping(reconnect=False)
        except Exception as exc:  # noqa: BLE001 - any failure means a dead connection
            # The pool discards this connection and tries a fresh one.
            raise DisconnectionError(str(exc)) from exc

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(get_engine(), expire_on_commit=False)

