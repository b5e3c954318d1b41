"""POST /api/v1/callbacks/{start,finish} (the original server's paths) and the
specification's /callbacks/{start,finish}: the same handlers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import BearerClaims, Principal, resolve
from keystone_api.accounts.tokens import TokenClaims
from keystone_api.callbacks import service
from keystone_api.callbacks.schemas import CallbackAck, FinishCallback, StartCallback
from keystone_api.db.group_commit import group_commit
from keystone_api.db.unit_of_work import db_call

router = APIRouter(tags=["callbacks"])

AUTH = (
    "Bearer: the task's `user_token` from its task config, or the robot's device token. "
    "Sent once by the recorder, never retried: duplicates get the same answer, "
    "conflicting repeats a 409."
)


async def caller(claims: BearerClaims) -> tuple[TokenClaims, Principal | None]:
    """A robot's token as it is (resolved in the group commit's batch); any other token (a
    person's, a minted one) resolved here, before the body is read: a revoked one is a 401,
    a live one without the robot role a 403."""
    if claims.kind in ("device", "task"):
        return claims, None
    return claims, await db_call(_robot_user, claims)


Caller = Annotated[tuple[TokenClaims, Principal | None], Depends(caller)]


@router.post(
    "/api/v1/callbacks/start",
    response_model=CallbackAck,
    summary="Recorder started recording a task",
    description=AUTH,
)
@router.post("/callbacks/start", response_model=CallbackAck, include_in_schema=False)
async def start(body: StartCallback, who: Caller) -> CallbackAck:
    return await _record(who, body)


@router.post(
    "/api/v1/callbacks/finish",
    response_model=CallbackAck,
    summary="Recorder finished a task (files still on the robot)",
    description=AUTH,
)
@router.post("/callbacks/finish", response_model=CallbackAck, include_in_schema=False)
async def finish(body: FinishCallback, who: Caller) -> CallbackAck:
    return await _record(who, body)


async def _record(
    who: tuple[TokenClaims, Principal | None], body: StartCallback | FinishCallback
) -> CallbackAck:
    # Callbacks are the API's hottest path (every recording, from every robot): they are
    # written by group commit, a robot's token resolved in the batch.
    claims, principal = who
    ack: CallbackAck = await group_commit().submit(
        service.CALLBACKS, service.Callback(claims, body, principal)
    )
    return ack


def _robot_user(session: Session, claims: TokenClaims) -> Principal:
    principal = resolve(claims, session)
    principal.require(Role.robot)
    return principal
