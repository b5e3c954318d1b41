"""POST /api/v1/callbacks/{start,finish} (the original server's paths) and the
specification's /callbacks/{start,finish}: the same handlers."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import BearerClaims, Principal, resolve
from keystone_api.accounts.tokens import TokenClaims
from keystone_api.callbacks import service
from keystone_api.callbacks.schemas import CallbackAck, FinishCallback, StartCallback
from keystone_api.db.group_commit import group_commit
from keystone_api.deps import unit_of_work

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
async def start(body: StartCallback, claims: BearerClaims) -> CallbackAck:
    return await _record(claims, body)


@router.post(
    "/api/v1/callbacks/finish",
    response_model=CallbackAck,
    summary="Recorder finished a task (files still on the robot)",
    description=AUTH,
)
@router.post("/callbacks/finish", response_model=CallbackAck, include_in_schema=False)
async def finish(body: FinishCallback, claims: BearerClaims) -> CallbackAck:
    return await _record(claims, body)


async def _record(claims: TokenClaims, body: StartCallback | FinishCallback) -> CallbackAck:
    # Callbacks are the API's hottest path (every recording, from every robot): they are
    # written by group commit, a robot's token resolved in the batch. A person's token needs
    # its account loaded first (and is refused unless it has the robot role).
    principal = None
    if claims.kind == "user":
        principal = await run_in_threadpool(unit_of_work, _robot_user, claims)
    ack: CallbackAck = await group_commit().submit(
        service.CALLBACKS, service.Callback(claims, body, principal)
    )
    return ack


def _robot_user(session: Session, claims: TokenClaims) -> Principal:
    principal = resolve(claims, session)
    principal.require(Role.robot)
    return principal
