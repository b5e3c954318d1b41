"""The task lifecycle: one explicit state machine (the original Keystone's states).

    pending -> ready -> in_progress -> uploading -> completed
    ready / in_progress -> pending     (recording cancelled, robot disconnected)
    in_progress / uploading -> failed  (upload failed; an operator may retry)
    pending / ready -> cancelled       (batch or order cancelled)

Callbacks may be lost or arrive in any order (the recorder sends them once, from another
thread), so a later state may be reached directly: a finish without a start goes
pending/ready -> uploading, and a landed recording completes the task from any open state.
"""

from __future__ import annotations

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

OPEN = frozenset({S.pending, S.ready, S.in_progress, S.uploading})
UNSTARTED = frozenset({S.pending, S.ready})


class IllegalTransition(Conflict):
    code = "illegal_transition"


def can_transition(current: S, target: S) -> bool:
    return target in ALLOWED[current]


def transition(session: Session, task: Task, target: S, actor: str, cause: str = "") -> bool:
    """Move the task to `target`, recording who and why. Returns False when it is already
    there (idempotent); raises IllegalTransition (409, with the current state) otherwise."""
    current = task.status
    if current == target:
        return False
    if not can_transition(current, target):
        raise IllegalTransition(
            f"task '{task.id}' cannot go from {current.value} to {target.value}",
            {"task_id": task.id, "current_status": current.value, "requested": target.value},
        )
    now = utcnow()
    task.status = target
    if target == S.in_progress and task.started_at is None:
        task.started_at = now
    if target == S.completed:
        task.completed_at = now
    if target == S.pending:
        # Back in the queue: the abandoned recording's callbacks belong to it, not to the
        # next recording of this task (whose start must not look like a conflict).
        task.started_at = task.finished_at = None
        task.start_callback = task.finish_callback = None
    session.add(
        TaskTransition(
            task_id=task.id,
            from_status=current.value,
            to_status=target.value,
            actor=actor,
            cause=cause[:500],
            at=now,
        )
    )
    return True
