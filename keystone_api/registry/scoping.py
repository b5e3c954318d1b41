"""Which factory a registry row belongs to (object-level authorization)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from keystone_api.accounts.principal import Principal
from keystone_api.registry.models import Factory, Scene, Skill, Subscene


def scene_factory(session: Session, scene_id: str) -> str | None:
    return session.execute(select(Scene.factory_id).where(Scene.id == scene_id)).scalar()


def subscene_factory(session: Session, subscene_id: str) -> str | None:
    return session.execute(
        select(Scene.factory_id)
        .join(Subscene, Subscene.scene_id == Scene.id)
        .where(Subscene.id == subscene_id)
    ).scalar()


def factory_org(session: Session, factory_id: str | None) -> str | None:
    if factory_id is None:
        return None
    return session.execute(select(Factory.organization_id).where(Factory.id == factory_id)).scalar()


def org_visible(session: Session, principal: Principal, organization_id: str) -> bool:
    """Organisation-wide rows (skills, the org) are visible to staff of its factories."""
    return (
        principal.factory_id is None
        or factory_org(session, principal.factory_id) == organization_id
    )


def scope_by_factory_column(column: Any) -> Any:
    def _scope(stmt: Select[Any], principal: Principal) -> Select[Any]:
        return stmt if principal.factory_id is None else stmt.where(column == principal.factory_id)

    return _scope


def scope_by_org_column(column: Any) -> Any:
    def _scope(stmt: Select[Any], principal: Principal) -> Select[Any]:
        if principal.factory_id is None:
            return stmt
        org = select(Factory.organization_id).where(Factory.id == principal.factory_id)
        return stmt.where(column == org.scalar_subquery())

    return _scope


def skill_org(session: Session, skill_id: str) -> str | None:
    return session.execute(select(Skill.organization_id).where(Skill.id == skill_id)).scalar()
