"""Fleet resources: robot types, robots, data collectors, inspectors, workstations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import Principal
from keystone_api.accounts.service import create_user
from keystone_api.common.crud import flush_or_conflict
from keystone_api.common.refs import live_ref
from keystone_api.common.resource import Resource, in_factory
from keystone_api.errors import Conflict, Invalid
from keystone_api.fleet import schemas as s
from keystone_api.fleet.devices import next_device_id
from keystone_api.fleet.models import DataCollector, Inspector, Robot, RobotType, Workstation
from keystone_api.fleet.routes import robot_routes, workstation_routes
from keystone_api.fleet.workstations import set_pairing
from keystone_api.orders import task_states
from keystone_api.orders.models import Batch, BatchStatus, Task
from keystone_api.qa.spec_versions import version_for
from keystone_api.registry.models import Factory
from keystone_api.registry.qa_spec import check_qa_spec
from keystone_api.registry.scoping import scope_by_factory_column


def _topics_json(body: Any) -> dict[str, Any]:
    data = body.model_dump(exclude_unset=False)
    if "topics" in data and data["topics"] is not None:
        data["topics"] = [t.model_dump(exclude_none=True) for t in body.topics]
    return data


def _build_robot_type(session: Session, principal: Principal, body: s.RobotTypeIn) -> RobotType:
    check_qa_spec(body.qa_spec)
    number = (session.execute(select(func.max(RobotType.number))).scalar() or 0) + 1
    robot_type = RobotType(**_topics_json(body), number=number)
    session.add(robot_type)
    flush_or_conflict(session, f"robot type '{body.name}'")
    # Version 1 of its QA spec: every assessment names the version it was judged by.
    version_for(session, robot_type.id, robot_type.qa_spec, principal.actor)
    return robot_type


def _patch_robot_type(
    session: Session, principal: Principal, obj: RobotType, changes: dict[str, Any]
) -> None:
    if "qa_spec" in changes:
        check_qa_spec(changes["qa_spec"])
        # A changed spec is a new version (the same spec again is not).
        version_for(session, obj.id, changes["qa_spec"] or {}, principal.actor)
    if changes.get("topics") is not None:
        changes["topics"] = [
            {k: v for k, v in t.items() if v is not None} for t in changes["topics"]
        ]


robot_types = Resource(
    model=RobotType,
    path="robot-types",
    name="robot type",
    create_schema=s.RobotTypeIn,
    patch_schema=s.RobotTypePatch,
    out_schema=s.RobotTypeOut,
    filters_schema=s.ArchivedFilter,
    visible=lambda _s, _p, _o: True,  # robot types are a shared catalogue
    scope=lambda stmt, _p: stmt,
    build=_build_robot_type,
    check_patch=_patch_robot_type,
    write_roles=(Role.admin,),
    order_by=RobotType.name,
    tag="fleet",
)


def _build_robot(session: Session, principal: Principal, body: s.RobotIn) -> Robot:
    factory = live_ref(session, Factory, body.factory_id, "factory", principal, body.factory_id)
    robot_type = live_ref(session, RobotType, body.robot_type_id, "robot type")
    data = body.model_dump()
    if not data.get("device_id"):
        data["device_id"] = next_device_id(session, factory, robot_type)
    return Robot(**data)


def _robot_deletable(session: Session, robot: Robot) -> None:
    ws = session.execute(select(Workstation).where(Workstation.robot_id == robot.id)).scalar()
    if ws is not None:
        busy = session.execute(
            select(func.count())
            .select_from(Task)
            .where(Task.workstation_id == ws.id, Task.status.in_(task_states.AT_RECORDER))
        ).scalar_one()
        if busy:
            raise Conflict(f"robot is recording at workstation '{ws.name}'")
        set_pairing(session, ws, None, ws.data_collector_id, "system")


def _robot_removed(session: Session, robot: Robot) -> None:
    """An archived or deleted robot's store key stops working at once (its device token
    and transfer URL are refused for an archived robot already)."""
    from keystone_api.gateways.store_keys import revoke_robot_key
    from keystone_api.settings import get_settings

    revoke_robot_key(get_settings(), robot)


robots = Resource(
    model=Robot,
    path="robots",
    name="robot",
    create_schema=s.RobotIn,
    patch_schema=s.RobotPatch,
    out_schema=s.RobotOut,
    filters_schema=s.RobotFilters,
    visible=in_factory(lambda _s, o: o.factory_id),
    scope=scope_by_factory_column(Robot.factory_id),
    build=_build_robot,
    check_deletable=_robot_deletable,
    on_remove=_robot_removed,
    order_by=Robot.device_id,
    tag="fleet",
    extra_routes=[robot_routes],
)


def _person_account(session: Session, body: s.PersonIn, role: Role) -> str | None:
    if body.username is None:
        return None
    if body.password is None:
        raise Invalid("password: required with username")
    user = create_user(
        session,
        username=body.username,
        password=body.password,
        role=role,
        display_name=body.name,
        factory_id=body.factory_id,
    )
    return user.id


def _build_collector(session: Session, principal: Principal, body: s.CollectorIn) -> DataCollector:
    live_ref(session, Factory, body.factory_id, "factory", principal, body.factory_id)
    user_id = _person_account(session, body, Role.collector)
    return DataCollector(
        factory_id=body.factory_id,
        name=body.name,
        employee_code=body.employee_code,
        user_id=user_id,
    )


def _build_inspector(session: Session, principal: Principal, body: s.PersonIn) -> Inspector:
    live_ref(session, Factory, body.factory_id, "factory", principal, body.factory_id)
    user_id = _person_account(session, body, Role.inspector)
    return Inspector(factory_id=body.factory_id, name=body.name, user_id=user_id)


def _collector_deletable(session: Session, collector: DataCollector) -> None:
    for ws in session.execute(
        select(Workstation).where(Workstation.data_collector_id == collector.id)
    ).scalars():
        set_pairing(session, ws, ws.robot_id, None, "system")


data_collectors = Resource(
    model=DataCollector,
    path="data-collectors",
    name="data collector",
    create_schema=s.CollectorIn,
    patch_schema=s.PersonPatch,
    out_schema=s.CollectorOut,
    filters_schema=s.FactoryScopedFilters,
    visible=in_factory(lambda _s, o: o.factory_id),
    scope=scope_by_factory_column(DataCollector.factory_id),
    build=_build_collector,
    check_deletable=_collector_deletable,
    order_by=DataCollector.name,
    tag="fleet",
)

inspectors = Resource(
    model=Inspector,
    path="inspectors",
    name="inspector",
    create_schema=s.PersonIn,
    patch_schema=s.PersonPatch,
    out_schema=s.InspectorOut,
    filters_schema=s.FactoryScopedFilters,
    visible=in_factory(lambda _s, o: o.factory_id),
    scope=scope_by_factory_column(Inspector.factory_id),
    build=_build_inspector,
    order_by=Inspector.name,
    tag="fleet",
)


def _build_workstation(
    session: Session, principal: Principal, body: s.WorkstationIn
) -> Workstation:
    live_ref(session, Factory, body.factory_id, "factory", principal, body.factory_id)
    ws = Workstation(factory_id=body.factory_id, name=body.name)
    session.add(ws)
    session.flush()
    set_pairing(session, ws, body.robot_id, body.data_collector_id, principal.actor)
    return ws


def _workstation_deletable(session: Session, ws: Workstation) -> None:
    open_batches = session.execute(
        select(func.count())
        .select_from(Batch)
        .where(
            Batch.workstation_id == ws.id,
            Batch.status.in_((BatchStatus.pending, BatchStatus.active)),
        )
    ).scalar_one()
    if open_batches:
        raise Conflict(f"workstation '{ws.name}' has {open_batches} open batch(es)")
    set_pairing(session, ws, None, None, "system")


workstations = Resource(
    model=Workstation,
    path="workstations",
    name="workstation",
    create_schema=s.WorkstationIn,
    patch_schema=s.WorkstationPatch,
    out_schema=s.WorkstationOut,
    filters_schema=s.WorkstationFilters,
    visible=in_factory(lambda _s, o: o.factory_id),
    scope=scope_by_factory_column(Workstation.factory_id),
    build=_build_workstation,
    check_deletable=_workstation_deletable,
    order_by=Workstation.name,
    tag="fleet",
    extra_routes=[workstation_routes],
)

RESOURCES = [robot_types, robots, data_collectors, inspectors, workstations]
