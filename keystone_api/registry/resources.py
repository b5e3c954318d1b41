"""The scene registry's resources: organizations, factories, scenes, subscenes, skills,
operations, SOPs. Each one's rules live here; the CRUD routes are generic."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import Principal
from keystone_api.common.refs import live_ref
from keystone_api.common.resource import Resource, in_factory
from keystone_api.errors import Conflict, Invalid
from keystone_api.orders import task_states
from keystone_api.orders.models import Order, OrderStatus, Task
from keystone_api.registry import schemas as s
from keystone_api.registry.models import (
    Factory,
    Operation,
    Organization,
    Scene,
    Skill,
    Sop,
    Subscene,
    SubsceneSkill,
)
from keystone_api.registry.qa_spec import check_qa_spec
from keystone_api.registry.scoping import (
    org_visible,
    scene_factory,
    scope_by_factory_column,
    scope_by_org_column,
    skill_org,
    subscene_factory,
)

OPEN_ORDER = (OrderStatus.pending, OrderStatus.active, OrderStatus.paused)


def _refuse_if_open_orders(session: Session, column: Any, value: str, what: str) -> None:
    open_orders = session.execute(
        select(func.count()).select_from(Order).where(column == value, Order.status.in_(OPEN_ORDER))
    ).scalar_one()
    if open_orders:
        raise Conflict(f"{what} has {open_orders} open order(s); complete or cancel them first")


def _refuse_if_open_tasks(session: Session, subscene_ids: Any, what: str) -> None:
    open_tasks = session.execute(
        select(func.count())
        .select_from(Task)
        .join(Order, Task.order_id == Order.id)
        .where(Order.subscene_id.in_(subscene_ids), Task.status.in_(task_states.OPEN))
    ).scalar_one()
    if open_tasks:
        raise Conflict(f"{what} has {open_tasks} open task(s) and cannot be removed")


# organizations ------------------------------------------------------------------------

organizations = Resource(
    model=Organization,
    path="organizations",
    name="organization",
    create_schema=s.OrganizationIn,
    patch_schema=s.OrganizationPatch,
    out_schema=s.OrganizationOut,
    filters_schema=s.ArchivedFilter,
    visible=lambda session, p, o: org_visible(session, p, o.id),
    scope=scope_by_org_column(Organization.id),
    build=lambda _s, _p, body: Organization(**body.model_dump()),
    write_roles=(Role.admin,),
    order_by=Organization.name,
)


# factories ----------------------------------------------------------------------------


def _build_factory(session: Session, principal: Principal, body: s.FactoryIn) -> Factory:
    live_ref(session, Organization, body.organization_id, "organization")
    # The small sequence number that Axon-style device ids carry (AB-F%04d-...).
    number = (session.execute(select(func.max(Factory.number))).scalar() or 0) + 1
    return Factory(**body.model_dump(), number=number)


factories = Resource(
    model=Factory,
    path="factories",
    name="factory",
    create_schema=s.FactoryIn,
    patch_schema=s.FactoryPatch,
    out_schema=s.FactoryOut,
    filters_schema=s.FactoryFilters,
    visible=in_factory(lambda _s, o: o.id),
    scope=scope_by_factory_column(Factory.id),
    build=_build_factory,
    write_roles=(Role.admin,),
    order_by=Factory.name,
    check_deletable=lambda session, o: _refuse_if_open_orders(
        session, Order.factory_id, o.id, f"factory '{o.name}'"
    ),
)


# scenes -------------------------------------------------------------------------------


def _build_scene(session: Session, principal: Principal, body: s.SceneIn) -> Scene:
    live_ref(session, Factory, body.factory_id, "factory", principal, body.factory_id)
    return Scene(**body.model_dump())


def _scene_deletable(session: Session, scene: Scene) -> None:
    subscenes = select(Subscene.id).where(Subscene.scene_id == scene.id)
    _refuse_if_open_tasks(session, subscenes, f"scene '{scene.name}'")
    _refuse_if_open_orders(session, Order.scene_id, scene.id, f"scene '{scene.name}'")


scenes = Resource(
    model=Scene,
    path="scenes",
    name="scene",
    create_schema=s.SceneIn,
    patch_schema=s.ScenePatch,
    out_schema=s.SceneOut,
    filters_schema=s.SceneFilters,
    visible=in_factory(lambda _s, o: o.factory_id),
    scope=scope_by_factory_column(Scene.factory_id),
    build=_build_scene,
    check_deletable=_scene_deletable,
    order_by=Scene.name,
)


# subscenes ----------------------------------------------------------------------------


def _set_skills(session: Session, subscene: Subscene, skill_ids: list[str], org_id: str) -> None:
    if len(set(skill_ids)) != len(skill_ids):
        raise Invalid("skill_ids: duplicates")
    for skill_id in skill_ids:
        skill = live_ref(session, Skill, skill_id, "skill")
        if skill.organization_id != org_id:
            raise Invalid(f"skill_ids: skill '{skill_id}' belongs to another organization")
    session.flush()
    session.execute(delete(SubsceneSkill).where(SubsceneSkill.subscene_id == subscene.id))
    for position, skill_id in enumerate(skill_ids):
        session.add(SubsceneSkill(subscene_id=subscene.id, skill_id=skill_id, position=position))


def _org_of_scene(session: Session, scene_id: str) -> str:
    return session.execute(
        select(Factory.organization_id)
        .join(Scene, Scene.factory_id == Factory.id)
        .where(Scene.id == scene_id)
    ).scalar_one()


def _build_subscene(session: Session, principal: Principal, body: s.SubsceneIn) -> Subscene:
    from keystone_api.fleet.models import RobotType

    scene = live_ref(
        session, Scene, body.scene_id, "scene", principal, scene_factory(session, body.scene_id)
    )
    live_ref(session, RobotType, body.robot_type_id, "robot type")
    check_qa_spec(body.qa_spec)
    sub = Subscene(**body.model_dump(exclude={"skill_ids"}))
    session.add(sub)
    session.flush()
    _set_skills(session, sub, body.skill_ids, _org_of_scene(session, scene.id))
    return sub


def _patch_subscene(
    session: Session, principal: Principal, sub: Subscene, changes: dict[str, Any]
) -> None:
    from keystone_api.fleet.models import RobotType

    if "robot_type_id" in changes and changes["robot_type_id"] != sub.robot_type_id:
        live_ref(session, RobotType, changes["robot_type_id"], "robot type")
        _refuse_if_open_orders(
            session, Order.subscene_id, sub.id, f"subscene '{sub.name}' (changing its robot type)"
        )
    check_qa_spec(changes.get("qa_spec"))
    skill_ids = changes.pop("skill_ids", None)
    if skill_ids is not None:
        _set_skills(session, sub, skill_ids, _org_of_scene(session, sub.scene_id))


def _subscene_deletable(session: Session, sub: Subscene) -> None:
    _refuse_if_open_tasks(session, [sub.id], f"subscene '{sub.name}'")
    _refuse_if_open_orders(session, Order.subscene_id, sub.id, f"subscene '{sub.name}'")
    session.execute(delete(SubsceneSkill).where(SubsceneSkill.subscene_id == sub.id))


subscenes = Resource(
    model=Subscene,
    path="subscenes",
    name="subscene",
    create_schema=s.SubsceneIn,
    patch_schema=s.SubscenePatch,
    out_schema=s.SubsceneOut,
    filters_schema=s.SubsceneFilters,
    visible=in_factory(lambda session, o: scene_factory(session, o.scene_id)),
    scope=lambda stmt, p: (
        stmt
        if p.factory_id is None
        else stmt.where(
            Subscene.scene_id.in_(select(Scene.id).where(Scene.factory_id == p.factory_id))
        )
    ),
    build=_build_subscene,
    check_patch=_patch_subscene,
    check_deletable=_subscene_deletable,
    order_by=Subscene.name,
)


# skills and operations ----------------------------------------------------------------


def _build_skill(session: Session, principal: Principal, body: s.SkillIn) -> Skill:
    live_ref(session, Organization, body.organization_id, "organization")
    return Skill(**body.model_dump())


skills = Resource(
    model=Skill,
    path="skills",
    name="skill",
    create_schema=s.SkillIn,
    patch_schema=s.SkillPatch,
    out_schema=s.SkillOut,
    filters_schema=s.SkillFilters,
    visible=lambda session, p, o: org_visible(session, p, o.organization_id),
    scope=scope_by_org_column(Skill.organization_id),
    build=_build_skill,
    order_by=Skill.name,
)


def _build_operation(session: Session, principal: Principal, body: s.OperationIn) -> Operation:
    live_ref(session, Skill, body.skill_id, "skill")
    return Operation(**body.model_dump())


operations = Resource(
    model=Operation,
    path="operations",
    name="operation",
    create_schema=s.OperationIn,
    patch_schema=s.OperationPatch,
    out_schema=s.OperationOut,
    filters_schema=s.OperationFilters,
    visible=lambda session, p, o: org_visible(session, p, skill_org(session, o.skill_id) or ""),
    scope=lambda stmt, p: (
        stmt
        if p.factory_id is None
        else stmt.where(
            Operation.skill_id.in_(scope_by_org_column(Skill.organization_id)(select(Skill.id), p))
        )
    ),
    build=_build_operation,
    order_by=(Operation.position),
)


# SOPs ---------------------------------------------------------------------------------


def _build_sop(session: Session, principal: Principal, body: s.SopIn) -> Sop:
    live_ref(session, Skill, body.skill_id, "skill")
    live_ref(
        session,
        Subscene,
        body.subscene_id,
        "subscene",
        principal,
        subscene_factory(session, body.subscene_id),
    )
    attached = session.get(SubsceneSkill, (body.subscene_id, body.skill_id))
    if attached is None:
        raise Invalid("skill_id: the skill is not attached to this subscene")
    check_qa_spec(body.qa_spec)
    latest = session.execute(
        select(func.max(Sop.version_number)).where(
            Sop.skill_id == body.skill_id,
            Sop.subscene_id == body.subscene_id,
            Sop.name == body.name,
        )
    ).scalar()
    if latest is not None:
        raise Conflict(f"SOP '{body.name}' exists; PATCH it to make a new version")
    return Sop(**body.model_dump(), version_number=1)


def _new_sop_version(session: Session, sop: Sop, changes: dict[str, Any]) -> Sop:
    """A new version row; the old one is archived but stays with the tasks that use it."""
    if sop.archived_at is not None:
        raise Conflict(f"SOP '{sop.id}' is not the current version")
    from keystone_api.db.base import utcnow

    fields = {
        k: getattr(sop, k)
        for k in ("skill_id", "subscene_id", "name", "content", "steps", "qa_spec")
    }
    fields.update(changes)
    sop.archived_at = utcnow()
    session.flush()
    new = Sop(**fields, version_number=sop.version_number + 1)
    session.add(new)
    return new


sops = Resource(
    model=Sop,
    path="sops",
    name="SOP",
    create_schema=s.SopIn,
    patch_schema=s.SopPatch,
    out_schema=s.SopOut,
    filters_schema=s.SopFilters,
    visible=in_factory(lambda session, o: subscene_factory(session, o.subscene_id)),
    scope=lambda stmt, p: (
        stmt
        if p.factory_id is None
        else stmt.where(
            Sop.subscene_id.in_(
                select(Subscene.id)
                .join(Scene, Subscene.scene_id == Scene.id)
                .where(Scene.factory_id == p.factory_id)
            )
        )
    ),
    build=_build_sop,
    check_patch=lambda _s, _p, _o, changes: check_qa_spec(changes.get("qa_spec")),
    apply_patch=_new_sop_version,
    check_deletable=lambda session, o: _refuse_if_open_orders(
        session, Order.sop_id, o.id, f"SOP '{o.name}'"
    ),
    order_by=(Sop.name, Sop.version_number),
)

RESOURCES = [organizations, factories, scenes, subscenes, skills, operations, sops]
