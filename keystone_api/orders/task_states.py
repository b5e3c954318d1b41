"""The task lifecycle: one explicit state machine (the original Keystone's states).

    pending -> ready -> in_progress -> uploading -> completed
    ready / in_progress -> pending     (recording cancelled or released; a recorder that
                                        comes back without it)
    in_progress / uploading -> failed  (upload failed; an operator may retry)
    pending / ready -> cancelled       (batch or order cancelled)

Callbacks may be lost or arrive in any order (the recorder sends them once, from another
thread), so a later state may be reached directly: a finish without a start goes
pending/ready -> uploading, and a landed recording completes the task from any open state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.errors import Conflict
from keystone_api.orders.models import Task, TaskTransition
from keystone_api.orders.models import TaskStatus as S

ALLOWED: dict[S, frozenset[S]] = {
    S.pending: frozenset({S.ready, S.in_progress, S.uploading, S.completed, S.cancelled}),
    S.ready: frozenset({S.pending, S.in_progress, S.uploading, S.completed, S.cancelled}),
    S.in_progress: frozenset({S.pending, S.uploading, S.completed, S.failed}),
    S.uploading: frozenset({S.completed, S.failed}),
    # An operator retries a failed upload (uploading) or has it recorded again (pending);
    # a recording that lands after all completes it.
    S.failed: frozenset({S.uploading, S.pending, S.completed}),
    # A recording whose start callback was lost can land after its task was cancelled:
    # the data is kept, so the task completes.
    S.cancelled: frozenset({S.completed}),
    S.completed: frozenset(),
}

# The status sets the rules use, each named for the question it answers.

# Not ended: its recording may still come. A batch with one is still running; a subscene
# with one may not be archived (its tasks would lose what they are recorded for).
OPEN = frozenset({S.pending, S.ready, S.in_progress, S.uploading})
# Not started: cancelling the batch or order cancels it.
UNSTARTED = frozenset({S.pending, S.ready})
# Its recording is not finished yet: a finish moves it to uploading, it can still be
# configured and recorded, and an assigned one keeps its workstation `recording`.
BEFORE_FINISH = frozenset({S.pending, S.ready, S.in_progress})
# Held by a recorder: configured on it, or being recorded (a dropped socket keeps them). A
# workstation whose robot holds one has its robot at work (the robot cannot be removed).
AT_RECORDER = frozenset({S.ready, S.in_progress})
# Recorded: a batch becomes active with its first.
FINISHED = frozenset({S.uploading, S.completed})
# Ended: a batch whose tasks all are ends too.
TERMINAL = frozenset({S.completed, S.cancelled, S.failed})


class IllegalTransition(Conflict):
    code = "illegal_transition"


def can_transition(current: S, target: S) -> bool:
    return target in ALLOWED[current]


def check(task_id: str, current: S, target: S) -> None:
    """Raise IllegalTransition (409, naming the current state) unless current -> target."""
    if not can_transition(current, target):
        raise IllegalTransition(
            f"task '{task_id}' cannot go from {current.value} to {target.value}",
            {"task_id": task_id, "current_status": current.value, "requested": target.value},
        )


def changed_columns(target: S, started_at: datetime | None, now: datetime) -> dict[str, Any]:
    """The columns a move to `target` sets, besides the status itself."""
    if target == S.in_progress and started_at is None:
        return {"started_at": now}
    if target == S.completed:
        return {"completed_at": now}
    if target == S.pending:
        # Back in the queue: the abandoned recording's callbacks belong to it, not to the
        # next recording of this task (whose start must not look like a conflict).
        return {
            "started_at": None,
            "finished_at": None,
            "start_callback": None,
            "finish_callback": None,
        }
    return {}


def transition_row(
    task_id: str, current: S, target: S, actor: str, cause: str, now: datetime
) -> dict[str, Any]:
    """The task_transitions row that records a move."""
    return {
        "task_id": task_id,
        "from_status": current.value,
        "to_status": target.value,
        "actor": actor,
        "cause": cause[:500],
        "at": now,
    }


def transition(session: Session, task: Task, target: S, actor: str, cause: str = "") -> bool:
    """Move the task to `target`, recording who and why. Returns False when it is already
    there (idempotent); raises IllegalTransition (409, with the current state) otherwise."""
    current = task.status
    if current == target:
        return False
    check(task.id, current, target)
    now = utcnow()
    task.status = target
    for column, value in changed_columns(target, task.started_at, now).items():
        setattr(task, column, value)
    session.add(TaskTransition(**transition_row(task.id, current, target, actor, cause, now)))
    return True
