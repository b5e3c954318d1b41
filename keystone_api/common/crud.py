"""Small shared helpers for the registries: fetch-or-404, pages, archive-or-delete."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.errors import Conflict, NotFound

M = TypeVar("M")


def get_or_404(
    session: Session, model: type[M], id_: str, what: str | None = None, *, lock: bool = False
) -> M:
    if lock:
        obj = session.execute(
            select(model).where(model.id == id_).with_for_update()  # type: ignore[attr-defined]
        ).scalar_one_or_none()
    else:
        obj = session.get(model, id_)
    if obj is None:
        raise NotFound(f"{what or model.__tablename__.rstrip('s')} '{id_}' not found")  # type: ignore[attr-defined]
    return obj


def page(session: Session, stmt: Select[Any], limit: int, offset: int) -> tuple[list[Any], int]:
    total = session.execute(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    ).scalar_one()
    rows = list(session.execute(stmt.limit(limit).offset(offset)).scalars())
    return rows, int(total)


def apply_changes(obj: Any, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        setattr(obj, key, value)


def flush_or_conflict(session: Session, what: str) -> None:
    """Flush; a unique-constraint violation becomes a 409 naming what collided."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        message = str(exc.orig).lower()
        if "duplicate" in message or "unique" in message:
            raise Conflict(f"{what} already exists") from None
        if "foreign key" in message:
            raise NotFound(f"{what}: a referenced record does not exist") from None
        raise


def archive(obj: Any) -> None:
    if obj.archived_at is None:
        obj.archived_at = utcnow()
