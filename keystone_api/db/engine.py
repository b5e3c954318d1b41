"""Engines and sessions, made on first use (never at import time)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
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
    return create_engine(
        url,
        connect_args=connect_args,
        pool_pre_ping=True,
        pool_recycle=3600,
        isolation_level="READ COMMITTED",
        **kwargs,
    )


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(get_engine(), expire_on_commit=False)


def session_scope() -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
