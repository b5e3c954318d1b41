"""Fleet routes beyond CRUD: heartbeats, token rotation, pairings, breaks, logout."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import BearerClaims, CurrentPrincipal, Principal, resolve
from keystone_api.accounts.tokens import TokenClaims
from keystone_api.common.crud import get_or_404
from keystone_api.db.base import utcnow
from keystone_api.db.group_commit import group_commit
from keystone_api.db.unit_of_work import db_call
from keystone_api.deps import SessionDep, SettingsDep
from keystone_api.errors import Forbidden, NotFound
from keystone_api.fleet import schemas as s
from keystone_api.fleet.devices import rotate_token
from keystone_api.fleet.heartbeats import HEARTBEATS
from keystone_api.fleet.models import Robot, Workstation, WorkstationPairing
from keystone_api.fleet.workstations import end_break, logout, set_pairing, start_break
from keystone_api.gateways.registration import registration_answer_of
from keystone_api.gateways.schemas import RegisterOut


class RotatedTokenOut(RegisterOut):
    """The robot's new registration answer: put it in the robot's device.json and run
    `axon-config refresh`. Its old device token, transfer URL and store key stop working."""

    token: str = Field(description="The new device token (also ws_client_auth_token)")


def _robot(session: Any, principal: Principal, robot_id: str) -> Robot:
    robot = get_or_404(session, Robot, robot_id, "robot")
    principal.check_factory(robot.factory_id, "robot")
    return robot


def _heartbeat(session: Session, claims: TokenClaims, robot_id: str) -> s.HeartbeatOut:
    """Staff, or a robot about another robot (refused): the rare heartbeats."""
    principal = resolve(claims, session)
    robot = _robot(session, principal, robot_id)
    if principal.role == Role.robot:
        if principal.robot_id != robot.id:
            raise Forbidden("a device may only report its own heartbeat")
    else:
        principal.require(Role.admin, Role.operator)
    robot.last_seen_at = utcnow()
    return s.HeartbeatOut(
        robot_id=robot.id, last_seen_at=robot.last_seen_at, available=robot.available
    )


def robot_routes(router: APIRouter) -> None:
    @router.post(
        "/{item_id}/heartbeat",
        response_model=s.HeartbeatOut,
        summary="A robot reports it is alive (its device token, or staff)",
    )
    async def heartbeat(item_id: str, claims: BearerClaims) -> Any:
        if claims.kind == "device" and claims.sub == item_id:
            # Every robot, all the time: written with the others of the moment.
            return await group_commit().submit(HEARTBEATS, claims)
        return await db_call(_heartbeat, claims, item_id)

    @router.post(
        "/{item_id}/rotate-token",
        response_model=RotatedTokenOut,
        summary="Revoke the robot's device token, transfer URL and store key; issue new ones "
        "(admin)",
    )
    def rotate(
        item_id: str, session: SessionDep, settings: SettingsDep, principal: CurrentPrincipal
    ) -> Any:
        principal.require(Role.admin)
        robot = _robot(session, principal, item_id)
        token = rotate_token(session, settings, robot)
        answer = registration_answer_of(session, settings, robot)
        return RotatedTokenOut(**answer.model_dump(), token=token)


def _workstation(
    session: Any, principal: Principal, ws_id: str, *, lock: bool = False
) -> Workstation:
    ws = get_or_404(session, Workstation, ws_id, "workstation", lock=lock)
    principal.check_factory(ws.factory_id, "workstation")
    return ws


def _own_station(principal: Principal, ws: Workstation) -> None:
    """Collectors act on their own workstation only; staff on any of their factory."""
    if principal.role == Role.collector:
        if (
            principal.data_collector_id is None
            or ws.data_collector_id != principal.data_collector_id
        ):
            raise NotFound(f"workstation '{ws.id}' not found")
    else:
        principal.require(Role.admin, Role.operator)


def workstation_routes(router: APIRouter) -> None:
    @router.put(
        "/{item_id}/pairing",
        response_model=s.WorkstationOut,
        summary="Pair a robot and a collector at this workstation (history is kept)",
    )
    def pair(
        item_id: str, body: s.PairingIn, session: SessionDep, principal: CurrentPrincipal
    ) -> Any:
        principal.require(Role.admin, Role.operator)
        ws = _workstation(session, principal, item_id, lock=True)
        return set_pairing(session, ws, body.robot_id, body.data_collector_id, principal.actor)

    @router.get(
        "/{item_id}/pairings",
        response_model=list[s.PairingOut],
        summary="Pairing history, newest first",
    )
    def pairings(item_id: str, session: SessionDep, principal: CurrentPrincipal) -> Any:
        principal.require(Role.admin, Role.operator, Role.inspector)
        _workstation(session, principal, item_id)
        return (
            session.execute(
                select(WorkstationPairing)
                .where(WorkstationPairing.workstation_id == item_id)
                .order_by(WorkstationPairing.started_at.desc())
                .limit(500)
            )
            .scalars()
            .all()
        )

    @router.post(
        "/{item_id}/break/start",
        response_model=s.WorkstationOut,
        summary="The collector takes a break",
    )
    def break_start(item_id: str, session: SessionDep, principal: CurrentPrincipal) -> Any:
        ws = _workstation(session, principal, item_id, lock=True)
        _own_station(principal, ws)
        return start_break(ws)

    @router.post(
        "/{item_id}/break/end", response_model=s.WorkstationOut, summary="The collector is back"
    )
    def break_end(item_id: str, session: SessionDep, principal: CurrentPrincipal) -> Any:
        ws = _workstation(session, principal, item_id, lock=True)
        _own_station(principal, ws)
        return end_break(ws)

    @router.post(
        "/{item_id}/logout",
        response_model=s.WorkstationOut,
        summary="The collector leaves the workstation",
    )
    def leave(item_id: str, session: SessionDep, principal: CurrentPrincipal) -> Any:
        ws = _workstation(session, principal, item_id, lock=True)
        _own_station(principal, ws)
        return logout(session, ws, principal.actor, by_staff=principal.role != Role.collector)
