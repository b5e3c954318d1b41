"""The one unit of work: every transaction the API opens is opened here.

A unit opens a session, commits when its work succeeds and rolls back when it fails, and
redoes the whole work when the database rolled it back for a reason that a second try
clears (see `is_retryable`). Async callers get it on a worker thread in one hop.

- `transaction()`: the session and its commit/rollback, nothing more. `deps.get_db` (the
  request boundary) is built on it and is not redone: the endpoint's body ran between its
  yield and its commit and cannot be run again from here.
- `unit_of_work(fn, *args)`: fn(session, *args) in one transaction, redone when retryable.
- `unit_of_work_in(sessions, fn, *args)`: the same on another session factory (the Dagster
  code location's and the sync sender's own engines), so their writes are redone alike.
- `db_call(fn, *args)`: the same from the event loop, on a worker thread.
- `retrying(attempt, what)`: the retry alone, for the group commit, whose batches write on
  a Core connection and run after-commit hooks of their own.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from anyio import to_thread
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from keystone_api.db.engine import get_sessionmaker

log = logging.getLogger("keystone.db")
T = TypeVar("T")

# Attempts in all. The winner of a deadlock has committed by the time its victim tries
# again, so a second try almost always succeeds; failing three times means contention the
# caller should see (a 503 to retry later) rather than a request held ever longer.
ATTEMPTS = 3

# MySQL/MariaDB ER_LOCK_DEADLOCK: InnoDB rolled the whole transaction back, so nothing of
# it stands and redoing it from the start is safe. Not ER_LOCK_WAIT_TIMEOUT (1205): that
# statement already waited innodb_lock_wait_timeout, longer than any client of ours waits,
# and by default only the statement is rolled back, so it is the caller's error to see.
DEADLOCK = 1213

# Work on a worker thread slower than this (queueing included) is logged.
SLOW_DB_S = float(os.environ.get("KEYSTONE_SLOW_DB_S", "1.0"))


def is_retryable(exc: BaseException) -> bool:
    """A deadlock's victim, or an ORM flush that found a row's version moved by a concurrent
    writer (the unit reads the row again when redone)."""
    if isinstance(exc, StaleDataError):
        return True
    if isinstance(exc, OperationalError):
        return getattr(exc.orig, "args", ())[:1] == (DEADLOCK,)
    return False


def retrying(attempt: Callable[[], T], what: str) -> T:
    """attempt(), called again (up to ATTEMPTS in all) while it fails with a retryable error;
    each call must be a whole transaction of its own."""
    for n in range(1, ATTEMPTS + 1):
        try:
            return attempt()
        except Exception as exc:
            if n == ATTEMPTS or not is_retryable(exc):
                raise
            log.info("%s: %s; redoing it (try %d of %d)", what, type(exc).__name__, n + 1, ATTEMPTS)
    raise AssertionError("unreachable")


@contextmanager
def transaction(sessions: Callable[[], Session] | None = None) -> Iterator[Session]:
    """A session whose work is committed when the block ends and rolled back if it raises
    (services only flush; this is where their work becomes durable). `sessions`: another
    session factory than the API's engine."""
    session = (sessions or get_sessionmaker())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def unit_of_work(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """fn(session, *args, **kwargs) in one transaction, redone whole when retryable (so fn
    must have no effect outside the session before it returns)."""
    return unit_of_work_in(None, fn, *args, **kwargs)


def unit_of_work_in(
    sessions: Callable[[], Session] | None, fn: Callable[..., T], *args: Any, **kwargs: Any
) -> T:
    """`unit_of_work` on the given session factory (None: the API's engine)."""

    def attempt() -> T:
        with transaction(sessions) as session:
            return fn(session, *args, **kwargs)

    return retrying(attempt, _name(fn))


async def db_call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`unit_of_work` from async code: one hop to a worker thread for the whole unit."""
    queued = time.monotonic()

    def work() -> T:
        started = time.monotonic()
        result = unit_of_work(fn, *args, **kwargs)
        done = time.monotonic()
        if done - queued > SLOW_DB_S:
            log.warning(
                "slow database work %s: %.0f ms waiting for a thread, %.0f ms running",
                _name(fn),
                (started - queued) * 1000,
                (done - started) * 1000,
            )
        return result

    return await to_thread.run_sync(work)


def _name(fn: Callable[..., Any]) -> str:
    return str(getattr(fn, "__qualname__", fn))
