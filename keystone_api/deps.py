"""Dependency aliases shared by every router."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from sqlalchemy.orm import Session

from keystone_api.db.engine import get_sessionmaker
from keystone_api.settings import Settings, get_settings

T = TypeVar("T")


def get_db() -> Iterator[Session]:
    """The request boundary: services only flush; this commits (or rolls back)."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response is sent, so a failed commit is an error
# response and never a 2xx for a change that did not happen.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]


async def settings_dep() -> Settings:
    # async: a cached value needs no trip through the thread pool.
    return get_settings()


SettingsDep = Annotated[Settings, Depends(settings_dep)]


def unit_of_work(fn: Callable[..., T], *args: Any) -> T:
    """Run fn(session, *args) in one transaction: commit on success, roll back on error.

    For hot async endpoints: `await run_in_threadpool(unit_of_work, fn, ...)` is a single
    hop to a worker thread where sync dependencies would each take their own."""
    session = get_sessionmaker()()
    try:
        result = fn(session, *args)
        session.commit()
        return result
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
