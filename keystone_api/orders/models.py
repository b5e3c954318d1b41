"""Order manager and task scheduler: orders -> batches (per workstation) -> tasks."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from keystone_api.db.base import (
    Base,
    Timestamps,
    Versioned,
    enum_column_type,
    fk,
    id_column,
)


class OrderStatus(StrEnum):
    pending = "pending"
    active = "active"
    paused = "paused"
    completed = "completed"
    cancelled = "cancelled"


class BatchStatus(StrEnum):
    pending = "pending"
    active = "active"
    completed = "completed"
    cancelled = "cancelled"
    recalled = "recalled"


class TaskStatus(StrEnum):
    """The original Keystone's task states."""

    pending = "pending"
    ready = "ready"
    in_progress = "in_progress"
    uploading = "uploading"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


class Order(Timestamps, Versioned, Base):
    """A request for N approved episodes of an SOP in a subscene."""

    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_factory_status", "factory_id", "status"),)
    id: Mapped[str] = id_column()
    factory_id: Mapped[str] = fk("factories.id")
    scene_id: Mapped[str] = fk("scenes.id", index=True)
    subscene_id: Mapped[str] = fk("subscenes.id", index=True)
    sop_id: Mapped[str] = fk("sops.id", index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    target_episodes: Mapped[int] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    deadline: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[OrderStatus] = mapped_column(
        enum_column_type(OrderStatus, "order_status"), default=OrderStatus.pending
    )
    created_by: Mapped[str] = mapped_column(String(100), default="")
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class Batch(Timestamps, Versioned, Base):
    """A group of an order's tasks assigned to one workstation."""

    __tablename__ = "batches"
    __table_args__ = (Index("ix_batches_workstation_status", "workstation_id", "status"),)
    id: Mapped[str] = id_column()
    order_id: Mapped[str] = fk("orders.id", index=True)
    workstation_id: Mapped[str] = fk("workstations.id")
    status: Mapped[BatchStatus] = mapped_column(
        enum_column_type(BatchStatus, "batch_status"), default=BatchStatus.pending
    )
    activated_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class Task(Timestamps, Versioned, Base):
    """One recording assignment; its episode appears once the recording lands."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_workstation_status", "workstation_id", "status"),
        Index("ix_tasks_batch_status", "batch_id", "status"),
        Index("ix_tasks_order_status", "order_id", "status"),
        Index("ix_tasks_status_updated", "status", "updated_at"),
    )
    id: Mapped[str] = id_column()
    order_id: Mapped[str] = fk("orders.id")
    batch_id: Mapped[str] = fk("batches.id")
    workstation_id: Mapped[str] = fk("workstations.id")
    # The SOP version the task was created with (later SOP edits do not change it).
    sop_id: Mapped[str] = fk("sops.id", index=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[TaskStatus] = mapped_column(
        enum_column_type(TaskStatus, "task_status"), default=TaskStatus.pending
    )
    robot_id: Mapped[str | None] = fk("robots.id", default=None, index=True)
    data_collector_id: Mapped[str | None] = fk("data_collectors.id", default=None, index=True)
    # A replacement for a rejected episode's task.
    replaces_task_id: Mapped[str | None] = fk("tasks.id", default=None)
    assigned_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    # The recorder's callback bodies as received (facts of the recording).
    start_callback: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    finish_callback: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    failure_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # When the recorder of this ready / in-progress task lost its socket (it keeps
    # recording and reconnects): the task stays its own; cleared when the recorder is back.
    recorder_offline_at: Mapped[datetime | None] = mapped_column(default=None)


class TaskTransition(Base):
    """Every task state change, with who and why."""

    __tablename__ = "task_transitions"
    id: Mapped[str] = id_column()
    task_id: Mapped[str] = fk("tasks.id", index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    cause: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column()
