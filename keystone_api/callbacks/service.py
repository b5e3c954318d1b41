"""Robot callbacks: record what the recorder reports and advance the task.

The recorder sends each callback once, never retries, and sends it from another thread than
its RPC answers, so start, finish and the landed recording may arrive in any order, and any
of them may be lost. Rules: a duplicate (same facts) gets the same answer; a conflicting one
(other facts) is a 409; a late callback records its facts without moving the task back.

Callbacks are the API's hottest path, so they are written by group commit
(db/group_commit.py): the callbacks that arrive together are one batch, one transaction.
Here: who may call (the robot the task belongs to), and each callback's decision
(orders/lifecycle); the batch is locked, read and written by orders/lifecycle_core.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Connection

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import (
    Principal,
    check_device,
    device_principal,
    device_rows,
    token_principal,
)
from keystone_api.accounts.tokens import TokenClaims
from keystone_api.callbacks.schemas import CallbackAck, FinishCallback, StartCallback
from keystone_api.db.base import utcnow
from keystone_api.db.group_commit import BatchContext, Handler
from keystone_api.errors import DomainError, Forbidden, NotFound
from keystone_api.orders import lifecycle, lifecycle_core
from keystone_api.orders.events import task_events
from keystone_api.orders.lifecycle import TaskSnapshot
from keystone_api.orders.lifecycle_core import Writes


@dataclass(frozen=True)
class Callback:
    """One callback as the batch handler receives it: verified claims and the body."""

    claims: TokenClaims
    body: StartCallback | FinishCallback
    principal: Principal | None = None  # resolved already (a person's token)


def _owned(
    tasks: dict[str, TaskSnapshot], principal: Principal, task_id: str, device_id: str
) -> TaskSnapshot:
    if principal.device_id is not None and principal.device_id != device_id:
        raise Forbidden("device_id: does not match the caller's token")
    if principal.kind == "task" and principal.task_id != task_id:
        raise Forbidden("this token is for another task")
    state = tasks.get(task_id)
    if state is None or not principal.sees_factory(state.factory_id):
        raise NotFound(f"task '{task_id}' not found")
    if state.owner_robot_id is None or state.device_id != device_id:
        raise Forbidden(f"task '{task_id}' is not assigned to device '{device_id}'")
    return state


def _answer(
    tasks: dict[str, TaskSnapshot], out: Writes, change: lifecycle.Change, now: Any
) -> CallbackAck:
    tasks[change.task.id] = change.task  # the batch's next callback of it starts here
    out.add(change, now)
    return CallbackAck(task_id=change.task.id, status=change.status, duplicate=change.duplicate)


def record_start(
    out: Writes, tasks: dict[str, TaskSnapshot], principal: Principal, body: StartCallback
) -> CallbackAck:
    task = _owned(tasks, principal, body.task_id, body.device_id)
    now = utcnow()
    reported = body.model_dump(mode="json")
    change = lifecycle.start(task, reported, body.started_at, principal.actor, now)
    return _answer(tasks, out, change, now)


def record_finish(
    out: Writes, tasks: dict[str, TaskSnapshot], principal: Principal, body: FinishCallback
) -> CallbackAck:
    task = _owned(tasks, principal, body.task_id, body.device_id)
    now = utcnow()
    reported = body.model_dump(mode="json")
    change = lifecycle.finish(
        task, reported, body.started_at, body.finished_at, principal.actor, now
    )
    return _answer(tasks, out, change, now)


def _principals(conn: Connection, callbacks: list[Callback]) -> list[Principal | DomainError]:
    """Each callback's principal (a robot's), the devices' looked up in one SELECT."""
    devices = [c.claims for c in callbacks if c.principal is None and c.claims.kind == "device"]
    rows = device_rows(conn, devices) if devices else {}
    out: list[Principal | DomainError] = []
    for c in callbacks:
        try:
            if c.principal is not None:
                principal = c.principal
            elif c.claims.kind == "device":
                principal = device_principal(check_device(rows.get(c.claims.sub), c.claims))
            else:
                principal = token_principal(c.claims)
            principal.require(Role.robot)  # people, even admins, cannot play robot
            out.append(principal)
        except DomainError as exc:
            out.append(exc)
    return out


def record_batch(ctx: BatchContext, callbacks: list[Callback]) -> list[Any]:
    """The group commit's handler: every callback of the batch, in arrival order."""
    conn = ctx.conn
    principals = _principals(conn, callbacks)
    tasks = lifecycle_core.load(conn, [c.body.task_id for c in callbacks])
    out = Writes()
    outcomes: list[Any] = []
    for callback, principal in zip(callbacks, principals, strict=True):
        if isinstance(principal, DomainError):
            outcomes.append(principal)
            continue
        record = record_start if isinstance(callback.body, StartCallback) else record_finish
        try:
            outcomes.append(record(out, tasks, principal, callback.body))  # type: ignore[arg-type]
        except DomainError as exc:
            outcomes.append(exc)
    lifecycle_core.apply(conn, out)
    for task in out.uploads:  # the gateway asks the robot only for a committed finish
        ctx.after_commit.append(partial(task_events.upload_requested, task))
    return outcomes


CALLBACKS = Handler("callbacks", rank=0, write=record_batch)  # tasks locked before robots
