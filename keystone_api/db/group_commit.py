"""Group commit: robots' concurrent small writes share one transaction.

Every robot calls all the time (two callbacks a recording, a heartbeat every few seconds),
each call a few rows. Alone, each costs a thread hop, a connection checkout, 3-8 round trips
and a durable COMMIT; that per-call overhead, not the rows, was most of the API's work under
load. Here the calls that arrive while a batch is being written wait for the next batch and
share its thread hop, its statements (one locking SELECT ... IN, multi-row INSERTs) and its
COMMIT. There is no timer: a batch starts as soon as the previous one is done, so an idle
server writes a lone call at once and a busy one writes bigger batches.

A handler gets the batch's items of its kind and returns one outcome per item: a value, or a
DomainError that answers that item alone. Handlers check an item's rules before queueing its
writes, so a refused item writes nothing while the others of its batch commit. A database
error fails the whole batch (none of it was committed) and reaches each of its callers as
their own request's error; a deadlock with another process's batch is redone by the unit of
work's one retry policy (db/unit_of_work.py).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from anyio import to_thread
from sqlalchemy import Connection

from keystone_api.db.engine import get_engine
from keystone_api.db.unit_of_work import retrying

MAX_BATCH = 64  # bounds one transaction's locks and statement sizes


@dataclass
class BatchContext:
    """A batch's connection (in its transaction) and what runs once it is committed."""

    conn: Connection
    after_commit: list[Callable[[], Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Handler:
    """Writes a batch's items of one kind: `write(ctx, items)` returns their outcomes."""

    name: str
    # Handlers run in ascending rank within a batch, so every batch takes its row locks in
    # the same order (stations and tasks before robots), so two processes' batches queue
    # behind each other rather than deadlock.
    rank: int
    write: Callable[[BatchContext, list[Any]], list[Any]]


@dataclass
class _Pending:
    handler: Handler
    item: Any
    future: asyncio.Future[Any]


def _write(conn: Connection, batch: list[tuple[Handler, Any]]) -> tuple[list[Any], BatchContext]:
    """Every handler's items of one batch on `conn`, in its transaction; outcomes in batch
    order."""
    groups: dict[Handler, list[int]] = {}
    for i, (handler, _) in enumerate(batch):
        groups.setdefault(handler, []).append(i)
    ctx = BatchContext(conn)
    outcomes: list[Any] = [None] * len(batch)
    for handler, indexes in sorted(groups.items(), key=lambda kv: kv[0].rank):
        results = handler.write(ctx, [batch[i][1] for i in indexes])
        for i, result in zip(indexes, results, strict=True):
            outcomes[i] = result
    return outcomes, ctx


def write_batch(batch: list[tuple[Handler, Any]]) -> list[Any]:
    """Write one batch of (handler, item) in one transaction, redone on a deadlock; the
    outcomes in batch order (blocking: the group commit runs it in a worker thread)."""

    # A Core connection, not a session: the handlers write multi-row statements, and the
    # after-commit hooks run once, after the attempt that committed.
    def attempt() -> tuple[list[Any], BatchContext]:
        with get_engine().connect() as conn, conn.begin():
            return _write(conn, batch)

    outcomes, ctx = retrying(attempt, f"batch of {len(batch)}")
    for fn in ctx.after_commit:
        fn()
    return outcomes


class GroupCommit:
    """One per event loop: a queue of writes and at most one batch in flight."""

    def __init__(self) -> None:
        self._queue: list[_Pending] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, handler: Handler, item: Any) -> Any:
        """Write `item` with `handler` in the next batch; its outcome, or its error raised."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.append(_Pending(handler, item, future))
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        batch: list[_Pending] = []
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                try:
                    # Not cancellable: a caller that gave up must not undo the others' writes.
                    items = [(p.handler, p.item) for p in batch]
                    outcomes = await to_thread.run_sync(write_batch, items)
                except Exception as exc:  # noqa: BLE001 - every caller of the batch gets it
                    outcomes = [exc] * len(batch)
                for pending, outcome in zip(batch, outcomes, strict=True):
                    if pending.future.done():  # its caller went away
                        continue
                    if isinstance(outcome, BaseException):
                        pending.future.set_exception(outcome)
                    else:
                        pending.future.set_result(outcome)
        finally:
            self._drainer = None
            for pending in (*batch, *self._queue):  # left only when the loop shuts down
                if not pending.future.done():
                    pending.future.cancel()
            self._queue = []


_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, GroupCommit] = (
    weakref.WeakKeyDictionary()
)


def group_commit() -> GroupCommit:
    """The running event loop's group commit (a test process may serve several apps)."""
    loop = asyncio.get_running_loop()
    found = _per_loop.get(loop)
    if found is None:
        found = _per_loop[loop] = GroupCommit()
    return found
