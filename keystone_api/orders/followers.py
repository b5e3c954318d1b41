"""How a task's batch and workstation follow it: the lifecycle's rules for what a task's
change asks of them, pure (each writer applies them: lifecycle_core with one statement for
a batch of callbacks, lifecycle_orm on loaded rows)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from keystone_api.fleet.models import WorkstationStatus
from keystone_api.orders import task_states
from keystone_api.orders.models import BatchStatus, TaskStatus

OPEN_BATCH = (BatchStatus.pending, BatchStatus.active)
# A station follows its tasks only between these: a break or a logout is the collector's.
STATION_FOLLOWS = (WorkstationStatus.idle, WorkstationStatus.recording)


BatchFollow = Literal["activate", "settle"] | None


def keeps_station_recording(status: TaskStatus, assigned_at: datetime | None) -> bool:
    """A station records while it has a handed-out task whose recording is not finished."""
    return assigned_at is not None and status in task_states.BEFORE_FINISH


def station_status(current: WorkstationStatus, busy: bool) -> WorkstationStatus | None:
    """The station's status after its tasks changed (None: not ours to change)."""
    if current not in STATION_FOLLOWS:
        return None
    return WorkstationStatus.recording if busy else WorkstationStatus.idle


def batch_follow(status: TaskStatus) -> BatchFollow:
    """What a task's new status asks of its batch: an ended task may end the batch (its
    tasks are counted); a recorded one activates it (its first recorded task does)."""
    if status in task_states.TERMINAL:
        return "settle"
    if status in task_states.FINISHED:
        return "activate"
    return None


def activates_batch(counts: dict[TaskStatus, int]) -> bool:
    """A pending batch is active from its first recorded task."""
    return any(counts.get(s, 0) for s in task_states.FINISHED)


def ended_batch(counts: dict[TaskStatus, int]) -> BatchStatus | None:
    """An open batch ends with its last task: completed, or cancelled when none completed
    (None: some task has not ended)."""
    total = sum(counts.values())
    if not total or sum(counts.get(s, 0) for s in task_states.TERMINAL) != total:
        return None
    return BatchStatus.completed if counts.get(TaskStatus.completed) else BatchStatus.cancelled
