"""The collector's UI drives a recorder: `POST /api/v1/recorder/{device_id}/{action}` and
`GET /api/v1/recorder/{device_id}/state`. Each action is one RPC over the recorder's socket
(15 s timeout); its answer moves the task the way the recorder's own messages do, so a
lost `config_applied`, `state_update` or callback changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import CurrentPrincipal, Principal
from keystone_api.db.unit_of_work import db_call
from keystone_api.errors import Invalid, NotFound
from keystone_api.fleet.models import Robot, Workstation
from keystone_api.gateways import task_sync
from keystone_api.gateways.connections import RobotRef, hub_of
from keystone_api.gateways.errors import RecorderBusy, RecorderNotConnected, RecorderRefused
from keystone_api.gateways.recorder_gateway import call
from keystone_api.gateways.schemas import RecorderRpcIn, RecorderStateOut, RpcResultOut
from keystone_api.gateways.transfer_gateway import request_upload
from keystone_api.settings import get_settings

Action = Literal["config", "begin", "pause", "resume", "finish", "cancel"]
router = APIRouter(prefix="/api/v1/recorder", tags=["recorder"])


def _robot(session: Session, principal: Principal, device_id: str, *, act: bool) -> RobotRef:
    """Staff of the robot's factory; a collector only at the workstation the robot is at."""
    robot = session.execute(select(Robot).where(Robot.device_id == device_id)).scalar()
    if (
        robot is None
        or robot.archived_at is not None
        or not principal.sees_factory(robot.factory_id)
    ):
        raise NotFound(f"device '{device_id}' not found")
    if principal.role == Role.collector:
        ws = session.execute(select(Workstation).where(Workstation.robot_id == robot.id)).scalar()
        if ws is None or ws.data_collector_id != principal.data_collector_id:
            raise NotFound(f"device '{device_id}' not found")
    elif act:
        principal.require(Role.admin, Role.operator, Role.collector)
    else:
        principal.require(Role.admin, Role.operator, Role.inspector, Role.display)
    return RobotRef(robot.id, robot.device_id, robot.factory_id)


@router.post(
    "/{device_id}/{action}",
    response_model=RpcResultOut,
    summary="Send an action to the device's recorder and return its answer",
    description=(
        "`config` takes `task_id` (a pending task of the device's workstation; the recorder "
        "must be idle) and sends its task configuration. `begin`, `finish` and `cancel` take "
        "the recorder's current task unless `task_id` is given. Errors: 409 "
        "`recorder_not_connected`, `recorder_busy`, `recorder_refused` (the recorder's own "
        "message), `recorder_disconnected`; 504 `recorder_timeout` after 15 s."
    ),
)
async def act(
    device_id: str,
    action: Action,
    request: Request,
    principal: CurrentPrincipal,
    body: RecorderRpcIn | None = None,
) -> RpcResultOut:
    hub = hub_of(request.app)
    link = hub.recorders.get(device_id)
    if link is not None and principal.role in (Role.admin, Role.operator):
        # Staff need only the factory, which the live socket knows: no database round trip.
        if not principal.sees_factory(link.robot.factory_id):
            raise NotFound(f"device '{device_id}' not found")
        robot = link.robot
    else:
        robot = await db_call(_robot, principal, device_id, act=True)
    link = hub.recorders.get(device_id)
    if link is None:
        raise RecorderNotConnected(f"the recorder of device '{device_id}' is not connected")
    task_id = (body.task_id if body else None) or (
        link.state.task_id if action != "config" else None
    )
    params: dict[str, Any] = {}
    if action == "config":
        if task_id is None:
            raise Invalid("task_id: required for config")
        if link.state.current != "idle":
            raise RecorderBusy(
                f"the recorder is {link.state.current or 'in an unknown state'}"
                + (f" with task '{link.state.task_id}'" if link.state.task_id else "")
                + "; config needs it idle",
                {"current_state": link.state.current, "task_id": link.state.task_id},
            )
        params["task_config"] = await db_call(
            task_sync.prepare_config, get_settings(), robot, task_id
        )
    elif action in ("begin", "finish"):
        if task_id is None:
            raise Invalid(f"task_id: required for {action} (the recorder holds no task)")
        params["task_id"] = task_id
    elif action == "cancel" and task_id is not None:
        params["task_id"] = task_id
    answer = await call(hub, link, action, params)
    data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
    message = str(answer.get("message") or "")
    if answer.get("success") is not True:
        raise RecorderRefused(
            message or f"the recorder refused '{action}'",
            {"action": action, "request_id": answer.get("request_id"), "data": data},
        )
    status = await db_call(_after, robot, action, task_id)
    if action == "finish" and task_id is not None:
        await request_upload(hub, task_id, robot.robot_id, "finish RPC answered")
    return RpcResultOut(
        device_id=device_id,
        action=action,
        request_id=str(answer.get("request_id")),
        success=True,
        message=message,
        data=data,
        task_id=task_id,
        task_status=status,
    )


def _after(session: Session, robot: RobotRef, action: str, task_id: str | None) -> str | None:
    """The answer is as good as the recorder's own messages (which may be lost)."""
    if task_id is None:
        return None
    if action == "config":
        task_sync.task_ready(session, robot, task_id, "config RPC answered")
    elif action == "begin":
        task_sync.task_recording(session, robot, task_id, "begin RPC answered")
    elif action == "finish":
        task_sync.task_finished(session, robot, task_id)
    elif action == "cancel":
        task_sync.task_back_to_pending(session, robot, task_id, "recording cancelled (RPC)")
    return task_sync.task_status(session, task_id)


@router.get(
    "/{device_id}/state",
    response_model=RecorderStateOut,
    summary="The recorder's state: live while connected, else the last known one",
)
async def state(device_id: str, request: Request, principal: CurrentPrincipal) -> Any:
    hub = hub_of(request.app)
    await db_call(_robot, principal, device_id, act=False)
    transfer = device_id in hub.transfers
    link = hub.recorders.get(device_id)
    if link is not None:
        at = link.state.updated_at
        return RecorderStateOut(
            device_id=device_id,
            connected=True,
            state=link.state.current,
            previous_state=link.state.previous,
            task_id=link.state.task_id,
            updated_at=datetime.fromtimestamp(at, UTC) if at else None,
            transfer_connected=transfer,
            source="live",
        )

    def last_known(session: Session) -> RecorderStateOut:
        robot = session.execute(select(Robot).where(Robot.device_id == device_id)).scalar_one()
        return RecorderStateOut(
            device_id=device_id,
            connected=False,
            state=robot.recorder_state,
            task_id=robot.recorder_task_id,
            updated_at=robot.recorder_state_at,
            transfer_connected=transfer,
            source="last_known",
        )

    return await db_call(last_known)
