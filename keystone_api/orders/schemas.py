"""Request and response shapes of orders, batches and tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, Field

from keystone_api.common.schemas import Id, In, Label, ListQuery, Nullable, Out, Patch, Text
from keystone_api.orders.models import BatchStatus, OrderStatus, TaskStatus
from keystone_api.orders.scheduling import DEFAULT_BATCH_SIZE


class OrderIn(In):
    factory_id: Id
    scene_id: Id | None = Field(None, description="Optional; derived from the subscene")
    subscene_id: Id
    sop_id: Id = Field(description="The SOP version the tasks will keep")
    name: Label = Field("", examples=["Towel folding, 500 episodes"])
    target_episodes: int = Field(ge=1, le=100_000, examples=[500])
    priority: int = Field(0, ge=-100, le=100, description="Higher is handed out first")
    deadline: AwareDatetime | None = Field(None, examples=["2026-12-31T18:00:00Z"])
    workstation_ids: list[Id] | None = Field(
        None, max_length=500, description="Restrict to these workstations (default: all eligible)"
    )
    batch_size: int = Field(DEFAULT_BATCH_SIZE, ge=1, le=1000)


class OrderPatch(Patch):
    name: Label | None = None
    priority: int | None = Field(None, ge=-100, le=100)
    deadline: Nullable[AwareDatetime] = None  # null: no deadline any more
    target_episodes: int | None = Field(None, ge=1, le=100_000)


class ScheduleIn(In):
    workstation_ids: list[Id] | None = Field(None, max_length=500)
    batch_size: int = Field(DEFAULT_BATCH_SIZE, ge=1, le=1000)


class OrderOut(Out):
    id: str
    factory_id: str
    scene_id: str
    subscene_id: str
    sop_id: str
    name: str
    target_episodes: int
    priority: int
    deadline: datetime | None
    status: OrderStatus
    created_by: str
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


class OrderProgress(Out):
    order_id: str
    status: OrderStatus
    target_episodes: int
    tasks: dict[str, int]
    episodes: dict[str, int]
    approved: int
    recalled: int
    remaining: int
    percent_complete: float


class OrderFilters(ListQuery):
    factory_id: str | None = Field(None, max_length=64)
    status: OrderStatus | None = None
    subscene_id: str | None = Field(None, max_length=64)


class BatchOut(Out):
    id: str
    order_id: str
    workstation_id: str
    status: BatchStatus
    activated_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    version: int
    task_counts: dict[str, int] = {}


class BatchFilters(ListQuery):
    order_id: str | None = Field(None, max_length=64)
    workstation_id: str | None = Field(None, max_length=64)
    status: BatchStatus | None = None


class RecallOut(Out):
    batch: BatchOut
    episodes_recalled: int


class TaskOut(Out):
    id: str
    order_id: str
    batch_id: str
    workstation_id: str
    sop_id: str
    sequence: int
    status: TaskStatus
    robot_id: str | None
    data_collector_id: str | None
    replaces_task_id: str | None
    assigned_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    completed_at: datetime | None
    failure_reason: str | None
    recorder_offline_at: datetime | None = Field(
        None,
        description="When the recorder holding this task lost its socket (it may still "
        "be recording); cleared when it is back",
    )
    created_at: datetime
    updated_at: datetime
    version: int


class TaskFilters(ListQuery):
    order_id: str | None = Field(None, max_length=64)
    batch_id: str | None = Field(None, max_length=64)
    workstation_id: str | None = Field(None, max_length=64)
    status: TaskStatus | None = None


class TransitionOut(Out):
    from_status: str | None
    to_status: str
    actor: str
    cause: str
    at: datetime


class TaskDetail(TaskOut):
    transitions: list[TransitionOut]
    start_callback: dict[str, Any] | None
    finish_callback: dict[str, Any] | None
    episode_id: str | None


class TaskConfigOut(Out):
    """Exactly the recorder's `task_config` (axon-protocol.md, `config`)."""

    task_id: str
    device_id: str
    data_collector_id: str
    operator_name: str
    order_id: str
    factory: str
    scene: str
    subscene: str
    skills: list[str]
    sop_id: str
    topics: list[str]
    start_callback_url: str
    finish_callback_url: str
    user_token: str


class TaskActionIn(In):
    reason: Text = Field("", max_length=500)


class TaskRetryIn(In):
    mode: str = Field(
        "upload",
        pattern="^(upload|record)$",
        description="upload: ask the robot to upload again; record: record it again",
    )
    reason: Text = Field("", max_length=500)
