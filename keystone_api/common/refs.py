"""Reference checks shared by the registries: the parent exists, is visible, is live."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from keystone_api.accounts.principal import Principal
from keystone_api.errors import Conflict, NotFound

M = TypeVar("M")


def live_ref(
    session: Session,
    model: type[M],
    id_: str,
    what: str,
    principal: Principal | None = None,
    factory_id: str | None = None,
) -> M:
    """The referenced row, which must exist, be visible to the principal and not be archived.

    `factory_id` is the factory the referenced row belongs to, when the caller knows it.
    """
    obj: Any = session.get(model, id_)
    if obj is None:
        raise NotFound(f"{what} '{id_}' not found")
    if principal is not None and factory_id is not None:
        principal.check_factory(factory_id, what)
    if getattr(obj, "archived_at", None) is not None:
        raise Conflict(f"{what} '{id_}' is archived")
    return obj  # type: ignore[no-any-return]
