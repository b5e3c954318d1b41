"""Orders, batches and tasks: the order manager and the task scheduler over HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from keystone_api.accounts.principal import InspectorPrincipal, StaffPrincipal
from keystone_api.common.crud import page
from keystone_api.common.schemas import Page
from keystone_api.deps import SessionDep
from keystone_api.episodes.models import Episode
from keystone_api.orders import schemas as s
from keystone_api.orders import service
from keystone_api.orders.access import load_batch, load_order
from keystone_api.orders.models import Batch, Order, Task
from keystone_api.orders.progress import refresh_order
from keystone_api.orders.scheduling import top_up
from keystone_api.stats.progress_tables import order_percent

router = APIRouter(prefix="/api/v1", tags=["orders"])


@router.post(
    "/orders",
    response_model=s.OrderOut,
    status_code=201,
    summary="Create an order; its tasks are batched to fitting workstations",
)
def create_order(body: s.OrderIn, session: SessionDep, principal: StaffPrincipal) -> Order:
    return service.create_order(session, principal, body)


@router.get("/orders", response_model=Page[s.OrderOut], summary="List orders")
def list_orders(
    session: SessionDep,
    principal: InspectorPrincipal,
    filters: Annotated[s.OrderFilters, Query()],
) -> Any:
    limit, offset = filters.limit, filters.offset
    stmt = select(Order).order_by(Order.created_at.desc())
    for key, value in filters.filters().items():
        stmt = stmt.where(getattr(Order, key) == value)
    if principal.factory_id is not None:
        stmt = stmt.where(Order.factory_id == principal.factory_id)
    items, total = page(session, stmt, limit, offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/orders/{order_id}", response_model=s.OrderOut, summary="Get an order")
def get_order(order_id: str, session: SessionDep, principal: InspectorPrincipal) -> Order:
    return load_order(session, principal, order_id)


@router.patch(
    "/orders/{order_id}",
    response_model=s.OrderOut,
    summary="Rename, reprioritise, move the deadline or change the target",
)
def patch_order(
    order_id: str, body: s.OrderPatch, session: SessionDep, principal: StaffPrincipal
) -> Order:
    order = load_order(session, principal, order_id, lock=True)
    for key, value in body.model_dump(exclude_unset=True).items():
        setattr(order, key, value)
    if body.target_episodes is not None:
        session.flush()
        refresh_order(session, order, principal.actor)
        if order.status.value in ("active", "paused"):
            top_up(session, order)
    return order


@router.get(
    "/orders/{order_id}/progress",
    response_model=s.OrderProgress,
    summary="Tasks and episodes by status, approved against the target",
)
def order_progress(
    order_id: str, session: SessionDep, principal: InspectorPrincipal
) -> s.OrderProgress:
    order = load_order(session, principal, order_id)
    tasks = dict(
        session.execute(
            select(Task.status, func.count()).where(Task.order_id == order.id).group_by(Task.status)
        ).all()
    )
    episodes = dict(
        session.execute(
            select(Episode.status, func.count())
            .where(Episode.order_id == order.id, Episode.recalled.is_(False))
            .group_by(Episode.status)
        ).all()
    )
    recalled = session.execute(
        select(func.count())
        .select_from(Episode)
        .where(Episode.order_id == order.id, Episode.recalled.is_(True))
    ).scalar_one()
    by_status = {str(getattr(k, "value", k)): int(v) for k, v in episodes.items()}
    approved = by_status.get("auto_approved", 0) + by_status.get("inspector_approved", 0)
    return s.OrderProgress(
        order_id=order.id,
        status=order.status,
        target_episodes=order.target_episodes,
        tasks={str(getattr(k, "value", k)): v for k, v in tasks.items()},
        episodes={str(getattr(k, "value", k)): v for k, v in episodes.items()},
        approved=approved,
        recalled=recalled,
        remaining=max(order.target_episodes - approved, 0),
        percent_complete=order_percent(approved, order.target_episodes),
    )


@router.post(
    "/orders/{order_id}/schedule",
    response_model=list[s.TaskOut],
    summary="Create tasks for whatever the order still lacks",
)
def schedule_order(
    order_id: str, body: s.ScheduleIn, session: SessionDep, principal: StaffPrincipal
) -> Any:
    order = load_order(session, principal, order_id, lock=True)
    return service.schedule(session, order, body.workstation_ids, body.batch_size)


def _order_action(action: str):  # type: ignore[no-untyped-def]
    def handler(order_id: str, session: SessionDep, principal: StaffPrincipal) -> Order:
        order = load_order(session, principal, order_id, lock=True)
        return service.set_order_status(session, order, action, principal.actor)

    return handler


for _action, _summary in (
    ("pause", "Pause: no more tasks are handed out"),
    ("resume", "Resume a paused order"),
    ("cancel", "Cancel: unstarted tasks are cancelled, recordings finish"),
):
    router.add_api_route(
        f"/orders/{{order_id}}/{_action}",
        _order_action(_action),
        methods=["POST"],
        response_model=s.OrderOut,
        summary=_summary,
        name=f"order_{_action}",
    )


def _batch_out(session: Any, batch: Batch) -> s.BatchOut:
    counts = dict(
        session.execute(
            select(Task.status, func.count()).where(Task.batch_id == batch.id).group_by(Task.status)
        ).all()
    )
    out = s.BatchOut.model_validate(batch)
    out.task_counts = {str(getattr(k, "value", k)): v for k, v in counts.items()}
    return out


@router.get("/batches", response_model=Page[s.BatchOut], summary="List batches")
def list_batches(
    session: SessionDep,
    principal: InspectorPrincipal,
    filters: Annotated[s.BatchFilters, Query()],
) -> Any:
    limit, offset = filters.limit, filters.offset
    stmt = select(Batch).order_by(Batch.created_at.desc())
    for key, value in filters.filters().items():
        stmt = stmt.where(getattr(Batch, key) == value)
    if principal.factory_id is not None:
        stmt = stmt.join(Order, Batch.order_id == Order.id).where(
            Order.factory_id == principal.factory_id
        )
    items, total = page(session, stmt, limit, offset)
    return {
        "items": [_batch_out(session, b) for b in items],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.get("/batches/{batch_id}", response_model=s.BatchOut, summary="Get a batch")
def get_batch(batch_id: str, session: SessionDep, principal: InspectorPrincipal) -> s.BatchOut:
    return _batch_out(session, load_batch(session, principal, batch_id))


@router.post(
    "/batches/{batch_id}/cancel",
    response_model=s.BatchOut,
    summary="Cancel a batch: its unstarted tasks are cancelled",
)
def cancel_batch(batch_id: str, session: SessionDep, principal: StaffPrincipal) -> s.BatchOut:
    batch = load_batch(session, principal, batch_id, lock=True)
    return _batch_out(session, service.cancel_batch(session, batch, principal.actor))


@router.post(
    "/batches/{batch_id}/recall",
    response_model=s.RecallOut,
    summary="Recall a batch: its episodes are labelled recalled",
)
def recall_batch(batch_id: str, session: SessionDep, principal: StaffPrincipal) -> s.RecallOut:
    batch = load_batch(session, principal, batch_id, lock=True)
    count = service.recall_batch(session, batch, principal.actor)
    return s.RecallOut(batch=_batch_out(session, batch), episodes_recalled=count)
