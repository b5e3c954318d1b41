"""One generic CRUD router for the registries, configured per resource.

Each registry (scenes, robots, ...) declares a Resource: its model, its request/response
schemas, how to find the factory an object belongs to (object-level authorization), how to
create it (validating references) and what counts as open work that forbids deleting it.
Delete removes an unreferenced row and archives a referenced one.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import CurrentPrincipal, Principal
from keystone_api.common.crud import apply_changes, archive, flush_or_conflict, get_or_404, page
from keystone_api.common.schemas import Page
from keystone_api.deps import SessionDep
from keystone_api.errors import Conflict, NotFound

READERS = (Role.admin, Role.operator, Role.inspector, Role.collector)
WRITERS = (Role.admin, Role.operator)


class DeleteOut(BaseModel):
    id: str
    outcome: str  # "deleted" | "archived"


@dataclass
class Resource:
    model: Any
    path: str
    name: str
    create_schema: type[BaseModel]
    patch_schema: type[BaseModel]
    out_schema: type[BaseModel]
    filters_schema: type[BaseModel]
    # Whether the principal may see this object (factory or organisation scoping).
    visible: Callable[[Session, Principal, Any], bool]
    # Restrict a list query to what the principal may see.
    scope: Callable[[Select[Any], Principal], Select[Any]]
    # Build (and validate the references of) a new object from the request body.
    build: Callable[[Session, Principal, Any], Any]
    # Raise Conflict when the object still has open work and may not go away.
    check_deletable: Callable[[Session, Any], None] = lambda _s, _o: None
    # What goes with the object when it is deleted or archived (e.g. a robot's store key).
    on_remove: Callable[[Session, Any], None] = lambda _s, _o: None
    # Validate a patch (e.g. a moved reference) before it is applied.
    check_patch: Callable[[Session, Principal, Any, dict[str, Any]], None] = (
        lambda _s, _p, _o, _c: None
    )
    # Apply a patch; returns the object to answer with (SOPs answer with a new version).
    apply_patch: Callable[[Session, Any, dict[str, Any]], Any] | None = None
    order_by: Any = None
    tag: str = "registry"
    write_roles: tuple[Role, ...] = WRITERS
    read_roles: tuple[Role, ...] = READERS
    extra_routes: list[Callable[[APIRouter], None]] = field(default_factory=list)


def _filter(stmt: Select[Any], model: Any, filters: BaseModel) -> Select[Any]:
    for key, value in filters.filters().items():  # type: ignore[attr-defined]
        if key == "include_archived":
            continue
        if key == "name_contains":
            stmt = stmt.where(model.name.contains(value, autoescape=True))
        else:
            stmt = stmt.where(getattr(model, key) == value)
    if hasattr(model, "archived_at") and not getattr(filters, "include_archived", False):
        stmt = stmt.where(model.archived_at.is_(None))
    return stmt


def in_factory(factory_of: Callable[[Session, Any], str | None]) -> Callable[..., bool]:
    """Visibility of a factory-owned row: the principal's factory (or no factory: all)."""

    def _visible(session: Session, principal: Principal, obj: Any) -> bool:
        return principal.sees_factory(factory_of(session, obj))

    return _visible


def load_visible(session: Session, res: Resource, principal: Principal, id_: str) -> Any:
    obj = get_or_404(session, res.model, id_, res.name)
    if not res.visible(session, principal, obj):
        raise NotFound(f"{res.name} '{id_}' not found")
    return obj


def build_router(res: Resource) -> APIRouter:  # noqa: C901 - one closure per verb
    router = APIRouter(prefix=f"/api/v1/{res.path}", tags=[res.tag])
    Out, Create, Patch, Filters = (
        res.out_schema,
        res.create_schema,
        res.patch_schema,
        res.filters_schema,
    )

    def reader(principal: CurrentPrincipal) -> Principal:
        principal.require(*res.read_roles)
        return principal

    def writer(principal: CurrentPrincipal) -> Principal:
        principal.require(*res.write_roles)
        return principal

    Reader = Annotated[Principal, Depends(reader)]
    Writer = Annotated[Principal, Depends(writer)]

    slug = res.path.replace("-", "_")

    @router.post("", response_model=Out, status_code=201, summary=f"Create a {res.name}",
                 name=f"create_{slug}")
    def create(body: Create, session: SessionDep, principal: Writer) -> Any:  # type: ignore[valid-type]
        obj = res.build(session, principal, body)
        if not res.visible(session, principal, obj):
            raise NotFound(f"the parent of this {res.name} was not found")
        session.add(obj)
        flush_or_conflict(session, f"{res.name} '{getattr(obj, 'name', obj.id)}'")
        return obj

    @router.get("", response_model=Page[Out], summary=f"List {res.path}",  # type: ignore[valid-type]
                name=f"list_{slug}")
    def list_(
        session: SessionDep,
        principal: Reader,
        filters: Annotated[Filters, Query()],  # type: ignore[valid-type]
    ) -> Any:
        limit, offset = filters.limit, filters.offset  # type: ignore[attr-defined]
        stmt = _filter(select(res.model), res.model, filters)
        order = res.order_by if res.order_by is not None else res.model.id
        orders = order if isinstance(order, tuple) else (order,)
        stmt = res.scope(stmt, principal).order_by(*orders)
        items, total = page(session, stmt, limit, offset)
        return {"items": items, "total": total, "limit": limit, "offset": offset}

    @router.get("/{item_id}", response_model=Out, summary=f"Get a {res.name}",
                name=f"get_{slug}")
    def get(item_id: str, session: SessionDep, principal: Reader) -> Any:
        return load_visible(session, res, principal, item_id)

    @router.patch("/{item_id}", response_model=Out, summary=f"Update a {res.name}",
                  name=f"update_{slug}")
    def patch(item_id: str, body: Patch, session: SessionDep, principal: Writer) -> Any:  # type: ignore[valid-type]
        obj = load_visible(session, res, principal, item_id)
        changes = body.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
        res.check_patch(session, principal, obj, changes)
        if res.apply_patch is not None:
            obj = res.apply_patch(session, obj, changes)
        else:
            apply_changes(obj, changes)
        flush_or_conflict(session, f"{res.name} '{getattr(obj, 'name', obj.id)}'")
        return obj

    @router.delete(
        "/{item_id}",
        response_model=DeleteOut,
        summary=f"Delete a {res.name} (archived instead when referenced)",
        name=f"delete_{slug}",
    )
    def remove(item_id: str, session: SessionDep, principal: Writer) -> DeleteOut:
        obj = load_visible(session, res, principal, item_id)
        res.check_deletable(session, obj)
        res.on_remove(session, obj)
        return DeleteOut(id=item_id, outcome=delete_or_archive(session, obj))

    for add in res.extra_routes:
        add(router)
    return router


def delete_or_archive(session: Session, obj: Any) -> str:
    """Hard-delete an unreferenced row; archive it when other rows still point at it."""
    model = type(obj)
    try:
        with session.begin_nested():
            session.execute(delete(model).where(model.id == obj.id))
        session.expunge(obj)
        return "deleted"
    except IntegrityError:
        if not hasattr(obj, "archived_at"):
            raise Conflict(
                f"{model.__tablename__} '{obj.id}' is referenced and cannot be deleted"
            ) from None
        archive(obj)
        return "archived"
