"""SQLite made to behave like MySQL (READ COMMITTED, SELECT ... FOR UPDATE) for the code
that locks rows, which is how `keystone dev` serves an API, Dagster and sync at once.

SQLite has no row locks: FOR UPDATE compiles to a plain SELECT, and the driver BEGINs only
at the first write. Two transactions could then read the same row and the second one's
write fail as a stale update (a robot's callback answered 409, and robots never retry).

So transactions are begun here, by what they do first: a read opens a plain (deferred)
transaction, which holds no lock in WAL mode; the first write or locking read takes the
database's write lock (BEGIN IMMEDIATE, waiting up to busy_timeout). A transaction that
only read so far is committed and begun again with the lock, so the locking read sees the
latest committed rows, as FOR UPDATE does under READ COMMITTED.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

BUSY_TIMEOUT_MS = 30_000
_STATE = "keystone_sqlite_txn"  # None | "pending" | "read" | "write"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "CREATE", "DROP", "ALTER")


def _writes(statement: str, context: Any) -> bool:
    if statement.lstrip()[:9].upper().startswith(_WRITES):
        return True
    compiled = getattr(context, "compiled", None)
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None


def configure(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver begins nothing; see below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")  # SQLite ignores FKs unless asked
        cur.execute("PRAGMA journal_mode=WAL")  # API, Dagster and sync read concurrently
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.info[_STATE] = "pending"

    @event.listens_for(engine, "before_cursor_execute")
    def _before(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        state = conn.info.get(_STATE)
        if state not in ("pending", "read"):
            return
        if not _writes(statement, context):
            if state == "pending":
                cursor.execute("BEGIN")
                conn.info[_STATE] = "read"
            return
        if state == "read":
            cursor.execute("COMMIT")  # only reads so far: nothing is lost
        cursor.execute("BEGIN IMMEDIATE")
        conn.info[_STATE] = "write"

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(conn: Any) -> None:
        conn.info[_STATE] = None
