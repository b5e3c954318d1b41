"""The one unit of work on the real MariaDB: a deadlock's victim is redone and both units
commit; an error that a second try would not clear is raised at once, its work undone."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keystone_api.db.engine import get_engine
from keystone_api.db.unit_of_work import db_call, unit_of_work

TABLE = "uow_probe"


@pytest.fixture
def rows() -> Iterator[None]:
    with get_engine().begin() as conn:
        conn.execute(text(f"CREATE TABLE {TABLE} (id INT PRIMARY KEY, n INT NOT NULL)"))
        conn.execute(text(f"INSERT INTO {TABLE} VALUES (1, 0), (2, 0)"))
    yield
    with get_engine().begin() as conn:
        conn.execute(text(f"DROP TABLE {TABLE}"))


def _bump(session: Session, row: int) -> None:
    session.execute(text(f"UPDATE {TABLE} SET n = n + 1 WHERE id = :id"), {"id": row})


def _counts() -> dict[int, int]:
    with get_engine().connect() as conn:
        return {row.id: row.n for row in conn.execute(text(f"SELECT id, n FROM {TABLE}"))}


def test_a_deadlock_victim_is_redone_and_both_commit(rows: None) -> None:
    both_hold_one = threading.Barrier(2, timeout=30)
    tries: list[str] = []
    errors: list[BaseException] = []

    def crosswise(session: Session, first: int, second: int) -> None:
        tries.append(f"{first}->{second}")
        _bump(session, first)
        if len(tries) <= 2:  # the first tries meet, each holding the row the other wants
            both_hold_one.wait()
        _bump(session, second)

    def unit(first: int, second: int) -> None:
        try:
            unit_of_work(crosswise, first, second)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=unit, args=pair) for pair in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(tries) == 3  # InnoDB rolled one back; it was redone once
    assert _counts() == {1: 2, 2: 2}


def test_other_errors_are_raised_at_once_and_rolled_back(rows: None) -> None:
    tries: list[int] = []

    def duplicate(session: Session) -> None:
        tries.append(1)
        _bump(session, 1)
        session.execute(text(f"INSERT INTO {TABLE} VALUES (2, 0)"))

    with pytest.raises(IntegrityError):
        unit_of_work(duplicate)
    assert tries == [1] and _counts() == {1: 0, 2: 0}


@pytest.mark.anyio
async def test_db_call_runs_the_unit_on_a_worker_thread(rows: None) -> None:
    loop_thread = threading.get_ident()

    def where(session: Session) -> Any:
        _bump(session, 2)
        return threading.get_ident()

    assert await db_call(where) != loop_thread
    assert _counts() == {1: 0, 2: 1}
