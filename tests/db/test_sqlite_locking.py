"""SQLite (`keystone dev`) serializes read-then-write transactions the way FOR UPDATE does
on MySQL: concurrent writers of one row neither lose updates nor fail as stale."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Integer, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from keystone_api.db.engine import make_engine


class _Base(DeclarativeBase):
    pass


class Counter(_Base):
    __tablename__ = "counter"
    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": version}


def test_locking_reads_serialize_writers(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}")
    _Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        session.add(Counter(id=1, n=0))
    errors: list[BaseException] = []

    def bump(times: int) -> None:
        for _ in range(times):
            try:
                with Session(engine) as session, session.begin():
                    session.execute(select(Counter.id)).all()  # a plain read comes first
                    row = session.execute(
                        select(Counter).where(Counter.id == 1).with_for_update()
                    ).scalar_one()
                    row.n += 1
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=bump, args=(25,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with Session(engine) as session:
        assert errors == [] and session.get(Counter, 1).n == 100  # type: ignore[union-attr]
    # Reads outside a write hold no lock: a reader in the middle of its transaction does not
    # stop a writer.
    with Session(engine) as reader:
        reader.execute(select(Counter)).all()
        with Session(engine) as writer, writer.begin():
            writer.get(Counter, 1).n += 1  # type: ignore[union-attr]
        reader.rollback()
    engine.dispose()
