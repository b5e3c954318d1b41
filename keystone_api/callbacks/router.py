"""POST /api/v1/callbacks/{start,finish} (the original server's paths) and the
specification's /callbacks/{start,finish}: the same handlers."""

from __future__ import annotations

from fastapi import APIRouter

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import CurrentPrincipal
from keystone_api.callbacks import service
from keystone_api.callbacks.schemas import CallbackAck, FinishCallback, StartCallback
from keystone_api.deps import SessionDep

router = APIRouter(tags=["callbacks"])

AUTH = (
    "Bearer: the task's `user_token` from its task config, or the robot's device token. "
    "Sent once by the recorder, never retried: duplicates get the same answer, "
    "conflicting repeats a 409."
)


@router.post(
    "/api/v1/callbacks/start",
    response_model=CallbackAck,
    summary="Recorder started recording a task",
    description=AUTH,
)
@router.post("/callbacks/start", response_model=CallbackAck, include_in_schema=False)
def start(body: StartCallback, session: SessionDep, principal: CurrentPrincipal) -> CallbackAck:
    principal.require(Role.robot)
    return service.record_start(session, principal, body)


@router.post(
    "/api/v1/callbacks/finish",
    response_model=CallbackAck,
    summary="Recorder finished a task (files still on the robot)",
    description=AUTH,
)
@router.post("/callbacks/finish", response_model=CallbackAck, include_in_schema=False)
def finish(body: FinishCallback, session: SessionDep, principal: CurrentPrincipal) -> CallbackAck:
    principal.require(Role.robot)
    return service.record_finish(session, principal, body)
