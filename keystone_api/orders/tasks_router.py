"""Tasks: the collector's flow (next task, its config) and operators' actions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import CurrentPrincipal
from keystone_api.common.crud import page
from keystone_api.common.schemas import Page
from keystone_api.deps import SessionDep, SettingsDep
from keystone_api.episodes.models import Episode
from keystone_api.errors import Conflict
from keystone_api.orders import dispatch, lifecycle, lifecycle_orm, task_states
from keystone_api.orders import schemas as s
from keystone_api.orders.access import collector_workstation_ids, load_task
from keystone_api.orders.models import Order, Task, TaskTransition

router = APIRouter(prefix="/api/v1", tags=["tasks"])


@router.post(
    "/workstations/{workstation_id}/tasks/next",
    response_model=s.TaskOut,
    summary="The workstation's next task (the same one while a task is open)",
    responses={404: {"description": "no task waiting (code no_task_available)"}},
)
def next_task(workstation_id: str, session: SessionDep, principal: CurrentPrincipal) -> Task:
    principal.require(Role.collector, Role.operator, Role.admin)
    return dispatch.next_task(session, workstation_id, principal)


@router.get(
    "/tasks/{task_id}/config",
    response_model=s.TaskConfigOut,
    summary="The recorder's task_config for this task, with its callback token",
)
def task_config(
    task_id: str, session: SessionDep, settings: SettingsDep, principal: CurrentPrincipal
) -> Any:
    principal.require(Role.collector, Role.operator, Role.admin)
    task = load_task(session, principal, task_id)
    if task.status not in task_states.BEFORE_FINISH:
        raise Conflict(
            f"task is {task.status.value}; it can no longer be recorded",
            {"current_status": task.status.value},
        )
    return dispatch.task_config(session, settings, task)


@router.get("/tasks", response_model=Page[s.TaskOut], summary="List tasks")
def list_tasks(
    session: SessionDep,
    principal: CurrentPrincipal,
    filters: Annotated[s.TaskFilters, Query()],
) -> Any:
    limit, offset = filters.limit, filters.offset
    principal.require(Role.admin, Role.operator, Role.inspector, Role.collector)
    stmt = select(Task).order_by(Task.created_at.desc(), Task.sequence.desc())
    for key, value in filters.filters().items():
        stmt = stmt.where(getattr(Task, key) == value)
    if principal.role == Role.collector:
        stmt = stmt.where(Task.workstation_id.in_(collector_workstation_ids(session, principal)))
    elif principal.factory_id is not None:
        stmt = stmt.join(Order, Task.order_id == Order.id).where(
            Order.factory_id == principal.factory_id
        )
    items, total = page(session, stmt, limit, offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get(
    "/tasks/{task_id}",
    response_model=s.TaskDetail,
    summary="A task with its transition history and callback facts",
)
def get_task(task_id: str, session: SessionDep, principal: CurrentPrincipal) -> Any:
    principal.require(Role.admin, Role.operator, Role.inspector, Role.collector)
    task = load_task(session, principal, task_id)
    transitions = (
        session.execute(
            select(TaskTransition)
            .where(TaskTransition.task_id == task.id)
            .order_by(TaskTransition.at, TaskTransition.id)
        )
        .scalars()
        .all()
    )
    episode_id = session.execute(select(Episode.id).where(Episode.task_id == task.id)).scalar()
    detail = s.TaskDetail.model_validate(
        {
            **s.TaskOut.model_validate(task).model_dump(),
            "transitions": transitions,
            "start_callback": task.start_callback,
            "finish_callback": task.finish_callback,
            "episode_id": episode_id,
        }
    )
    return detail


@router.post(
    "/tasks/{task_id}/cancel",
    response_model=s.TaskOut,
    summary="Cancel an unstarted task (operators)",
)
def cancel_task(
    task_id: str, body: s.TaskActionIn, session: SessionDep, principal: CurrentPrincipal
) -> Task:
    principal.require(Role.admin, Role.operator)
    task = load_task(session, principal, task_id, lock=True)
    cause = body.reason or "cancelled by operator"
    lifecycle_orm.run(session, task, lifecycle.cancel, principal.actor, cause)
    return task


@router.post(
    "/tasks/{task_id}/release",
    response_model=s.TaskOut,
    summary="Return a ready/in-progress task to pending (recording abandoned)",
    description="A task whose recorder went offline (`recorder_offline_at`; the robot may "
    "still be recording) is released by an operator or admin only, once the recorder has "
    "been away KEYSTONE_RECORDER_OFFLINE_RELEASE_S (120 s): before that, 409 with "
    "`retry_after_s`.",
)
def release_task(
    task_id: str,
    body: s.TaskActionIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
) -> Task:
    principal.require(Role.admin, Role.operator, Role.collector)
    task = load_task(session, principal, task_id, lock=True)
    lifecycle_orm.run(
        session,
        task,
        lifecycle.release,
        principal.actor,
        body.reason or "recording abandoned",
        staff=principal.role in (Role.admin, Role.operator),
        offline_release_s=settings.recorder_offline_release_s,
    )
    return task


@router.post(
    "/tasks/{task_id}/retry",
    response_model=s.TaskOut,
    summary="Retry a failed task: upload again, or record again",
)
def retry_task(
    task_id: str, body: s.TaskRetryIn, session: SessionDep, principal: CurrentPrincipal
) -> Task:
    principal.require(Role.admin, Role.operator)
    task = load_task(session, principal, task_id, lock=True)
    cause = body.reason or f"operator retry ({body.mode})"
    lifecycle_orm.run(session, task, lifecycle.retry, body.mode, principal.actor, cause)
    return task
