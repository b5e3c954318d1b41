"""POST /api/v1/callbacks/{start,finish} (the original server's paths) and the
specification's /callbacks/{start,finish}: the same handlers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import BearerClaims, resolve
from keystone_api.accounts.tokens import TokenClaims
from keystone_api.callbacks import service
from keystone_api.callbacks.schemas import CallbackAck, FinishCallback, StartCallback
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
    return await run_in_threadpool(unit_of_work, _as_robot, service.record_start, claims, body)


@router.post(
    "/api/v1/callbacks/finish",
    response_model=CallbackAck,
    summary="Recorder finished a task (files still on the robot)",
    description=AUTH,
)
@router.post("/callbacks/finish", response_model=CallbackAck, include_in_schema=False)
async def finish(body: FinishCallback, claims: BearerClaims) -> CallbackAck:
    return await run_in_threadpool(unit_of_work, _as_robot, service.record_finish, claims, body)


def _as_robot(session: Session, record: Any, claims: TokenClaims, body: Any) -> CallbackAck:
    # Callbacks are the API's hottest path (every recording, from every robot): auth,
    # service and commit run in one worker-thread hop instead of one per dependency.
    principal = resolve(claims, session)
    principal.require(Role.robot)
    ack: CallbackAck = record(session, principal, body)
    return ack
