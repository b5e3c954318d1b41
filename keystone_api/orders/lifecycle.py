"""The task lifecycle's decisions, pure: what a start, a finish, a recorder's report, an
upload, a landed recording, a cancel or a release does to a task, decided on a snapshot
of it and returned as the writes it implies (a `Change`). Nothing here reads or writes the
database, so the same rule serves both writers: the callbacks' group commit (Core
statements, lifecycle_core) and every other caller (the ORM, lifecycle_orm).

A refusal is raised as the domain error the API answers (409 with the current state, 403),
before anything changed. The transitions allowed, the status sets and the columns a move
sets are the state machine's own (task_states).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from keystone_api.errors import Conflict, Forbidden
from keystone_api.orders import task_states
from keystone_api.orders.followers import BatchFollow, batch_follow
from keystone_api.orders.models import BatchStatus, TaskStatus

S = TaskStatus
START_FACTS = ("device_id", "started_at")
FINISH_FACTS = ("device_id", "started_at", "finished_at", "file_size_bytes", "message_count")


@dataclass(frozen=True, slots=True)
class TaskSnapshot:
    """A task as its writer read it (locked), with what the rules need of its owner."""

    id: str
    status: TaskStatus
    version: int
    robot_id: str | None
    batch_id: str
    workstation_id: str
    assigned_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None = None
    start_callback: dict[str, Any] | None = None
    finish_callback: dict[str, Any] | None = None
    recorder_offline_at: datetime | None = None
    owner_robot_id: str | None = None  # holder(robot_id, its station's robot)
    batch_status: BatchStatus | None = None  # None: not read (the writer checks)
    factory_id: str | None = None
    device_id: str | None = None  # the owner's


@dataclass(frozen=True, slots=True)
class Change:
    """The writes a decision implies. `values` are the task's columns to set (status among
    them when it moves); any value bumps the task's version and queues its outbox row."""

    task: TaskSnapshot  # as it stands after the change (a later decision starts from it)
    values: dict[str, Any] = field(default_factory=dict)
    transition: dict[str, Any] | None = None  # the task_transitions row
    batch: BatchFollow = None  # activate a pending batch; settle it by counting its tasks
    station: bool = False  # the workstation follows its tasks (idle / recording)
    upload: bool = False  # ask the robot's transfer daemon for the recording
    duplicate: bool = False  # a repeat of what was recorded: same answer, nothing written

    @property
    def status(self) -> TaskStatus:
        return self.task.status


def holder(task_robot_id: str | None, station_robot_id: str | None) -> str | None:
    """Whose task it is: the robot it was given to, else its workstation's robot."""
    return task_robot_id if task_robot_id is not None else station_robot_id


def _change(
    task: TaskSnapshot,
    values: dict[str, Any],
    target: TaskStatus | None,
    actor: str,
    cause: str,
    now: datetime,
    *,
    follow: bool = False,
    upload: bool = False,
) -> Change:
    """Set `values` (and move to `target`, when it differs). `follow`: let the batch and
    the station follow even when the task stays where it is (the caller's rule)."""
    transition = None
    if target is not None and target != task.status:
        task_states.check(task.id, task.status, target)
        values = {
            **task_states.changed_columns(target, task.started_at, now),
            **values,
            "status": target,
        }
        transition = task_states.transition_row(task.id, task.status, target, actor, cause, now)
        follow = True
    after = replace(task, version=task.version + 1, **_known(values)) if values else task
    return Change(
        after,
        values,
        transition,
        batch_follow(after.status) if follow else None,
        follow,
        upload,
    )


_FIELDS = frozenset(TaskSnapshot.__dataclass_fields__)


def _known(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k in _FIELDS}


def _unchanged(task: TaskSnapshot) -> Change:
    return Change(task)


# Callbacks (the recorder's start and finish; sent once, in any order, maybe lost) -----


def _repeat(
    task: TaskSnapshot,
    recorded: dict[str, Any] | None,
    reported: dict[str, Any],
    keys: tuple[str, ...],
    what: str,
    at_key: str,
) -> Change | None:
    """The same answer for a repeat, a 409 for a different one, None for a first one."""
    if recorded is None:
        return None
    if tuple(recorded.get(k) for k in keys) != tuple(reported.get(k) for k in keys):
        raise Conflict(
            f"a different {what} was already recorded for this task",
            {"current_status": task.status.value, f"recorded_{at_key}": recorded.get(at_key)},
        )
    return Change(task, duplicate=True)


def _claimed(task: TaskSnapshot, values: dict[str, Any]) -> dict[str, Any]:
    """A callback's task becomes its owner's (given out by its station, not to a robot)."""
    return values if task.robot_id is not None else {**values, "robot_id": task.owner_robot_id}


def start(
    task: TaskSnapshot, reported: dict[str, Any], started_at: datetime, actor: str, now: datetime
) -> Change:
    """The start callback: an unstarted task is in progress; one further on (the finish or
    the landed recording came first) keeps the facts and stays put."""
    repeat = _repeat(task, task.start_callback, reported, START_FACTS, "start", "started_at")
    if repeat is not None:
        return repeat
    if task.status == S.cancelled:
        raise Conflict("task is cancelled", {"current_status": task.status.value})
    if task.status in task_states.UNSTARTED:
        values = {"start_callback": reported, "started_at": started_at}
        return _change(task, _claimed(task, values), S.in_progress, actor, "start callback", now)
    return _change(task, _claimed(task, {"start_callback": reported}), None, actor, "", now)


def finish(
    task: TaskSnapshot,
    reported: dict[str, Any],
    started_at: datetime,
    finished_at: datetime,
    actor: str,
    now: datetime,
) -> Change:
    """The finish callback: a task not yet recorded is uploading (its batch active, its
    robot asked for the recording); a late one records the facts and stays put."""
    repeat = _repeat(task, task.finish_callback, reported, FINISH_FACTS, "finish", "finished_at")
    if repeat is not None:
        return repeat
    values: dict[str, Any] = {"finish_callback": reported, "finished_at": finished_at}
    if task.started_at is None:
        values["started_at"] = started_at
    if task.status not in task_states.BEFORE_FINISH:
        return _change(task, _claimed(task, values), None, actor, "", now)
    cause = (
        "finish callback"
        if task.status == S.in_progress
        else "finish callback (start callback never arrived)"
    )
    change = _change(task, _claimed(task, values), S.uploading, actor, cause, now, upload=True)
    if task.batch_status not in (None, BatchStatus.pending):
        return replace(change, batch=None)  # active already: nothing to ask of it
    return change


# The recorder's socket (task_sync) ---------------------------------------------------


def configured(task: TaskSnapshot, actor: str, cause: str, now: datetime) -> Change:
    """config_applied: a pending task is ready."""
    if task.status != S.pending:
        return _unchanged(task)
    return _change(task, {}, S.ready, actor, cause, now)


def recording(task: TaskSnapshot, actor: str, cause: str, now: datetime) -> Change:
    """The recorder records (or paused) the task: an unstarted one is in progress; one
    already further on (the finish callback came first) stays where it is."""
    if task.status not in task_states.UNSTARTED:
        return _unchanged(task)
    return _change(task, {}, S.in_progress, actor, cause, now)


def recorder_cancelled(task: TaskSnapshot, actor: str, cause: str, now: datetime) -> Change:
    """The recorder cancelled the task it held: back to pending."""
    if task.status not in task_states.AT_RECORDER:
        return _unchanged(task)
    return _change(task, {}, S.pending, actor, cause, now)


def finish_answered(task: TaskSnapshot, actor: str, now: datetime) -> Change:
    """The recorder answered `finish` (its files are written): without the finish callback
    (lost, or still on its way) the task still moves on to uploading."""
    if task.status not in task_states.BEFORE_FINISH:
        return _unchanged(task)
    cause = "finish RPC answered (finish callback not received yet)"
    values = {} if task.finished_at is not None else {"finished_at": now}
    return _change(task, values, S.uploading, actor, cause, now)


def recorder_offline(task: TaskSnapshot, now: datetime) -> Change:
    """The recorder's socket dropped. A real recorder keeps recording and reconnects with
    backoff (axon-protocol.md section 7), so a task it holds stays its own, marked: never
    back to pending, where another station could take it while the robot still records."""
    if task.status not in task_states.AT_RECORDER or task.recorder_offline_at is not None:
        return _unchanged(task)
    return _change(task, {"recorder_offline_at": now}, None, "", "", now)


def recorder_back(
    task: TaskSnapshot, held_task_id: str | None, current: str, actor: str, now: datetime
) -> Change:
    """The recorder is back and says what it holds: that task continues; a marked task it
    no longer holds (it restarted, or moved on) goes back to the queue."""
    values: dict[str, Any] = {"recorder_offline_at": None}
    if task.id == held_task_id or task.status not in task_states.AT_RECORDER:
        return _change(task, values, None, actor, "", now)
    cause = f"recorder back ({current}) without this task"
    return _change(task, {**values, "assigned_at": None}, S.pending, actor, cause, now)


# Uploads and landing -----------------------------------------------------------------


def upload_started(task: TaskSnapshot, actor: str, now: datetime) -> Change:
    """The transfer daemon started uploading: the task is uploading (a failed one too: the
    robot retried)."""
    if task.status not in (*task_states.BEFORE_FINISH, S.failed):
        return _unchanged(task)
    cause = "upload started" if task.status != S.failed else "robot retried the upload"
    return _change(task, {"failure_reason": None}, S.uploading, actor, cause, now, follow=True)


def upload_failed(task: TaskSnapshot, reason: str, actor: str, now: datetime) -> Change:
    """The upload failed for good: the task fails with the reason (an operator may retry)."""
    if task.status == S.failed or not task_states.can_transition(task.status, S.failed):
        return _unchanged(task)
    return _change(task, {"failure_reason": reason[:2000]}, S.failed, actor, reason, now)


def landed(task: TaskSnapshot, actor: str, now: datetime) -> Change:
    """The recording landed and was verified: the task is completed, from any state (the
    data is kept), and its batch and station follow in any case."""
    if task.status == S.completed:
        return _change(task, {}, None, actor, "", now, follow=True)
    cause = "recording landed and verified"
    if task.finish_callback is None:
        cause += " (finish callback not received)"
    return _change(task, {}, S.completed, actor, cause, now)


# People ------------------------------------------------------------------------------


def cancel(
    task: TaskSnapshot, actor: str, cause: str, now: datetime, *, follow: bool = True
) -> Change:
    """An operator cancels the task (one already cancelled stays so). `follow=False`: the
    caller cancels many (a batch's, an order's) and settles their batches itself, once."""
    change = _change(task, {}, S.cancelled, actor, cause, now, follow=follow)
    return change if follow else replace(change, batch=None, station=False)


def release(
    task: TaskSnapshot,
    actor: str,
    cause: str,
    now: datetime,
    *,
    staff: bool,
    offline_release_s: float,
) -> Change:
    """Give the task back to the queue (its recording abandoned). A task whose recorder
    went offline may still be recorded: only staff release it, and only once the recorder
    has been away `offline_release_s` (before that the 409 says when)."""
    values: dict[str, Any] = {"assigned_at": None}
    since = task.recorder_offline_at
    if since is not None and task.status in task_states.AT_RECORDER:
        _check_offline_release(task.id, since, now, staff, offline_release_s)
        values["recorder_offline_at"] = None
    target = None if task.status == S.pending else S.pending
    return _change(task, values, target, actor, cause, now, follow=True)


def _check_offline_release(
    task_id: str, since: datetime, now: datetime, staff: bool, offline_release_s: float
) -> None:
    if not staff:
        raise Forbidden(
            f"task '{task_id}' is held by a recorder that went offline (it may still be "
            "recording): only an operator or admin may release it"
        )
    wait = math.ceil(offline_release_s - (now - since).total_seconds())
    if wait > 0:
        raise Conflict(
            f"the recorder of task '{task_id}' went offline at {since:%Y-%m-%d %H:%M:%S} UTC "
            f"and may still be recording: it can be released in {wait} s, or sooner when the "
            "recorder is back and no longer holds it",
            {"recorder_offline_at": since.isoformat(), "retry_after_s": wait},
        )


def retry(task: TaskSnapshot, mode: str, actor: str, cause: str, now: datetime) -> Change:
    """An operator retries a failed task: upload it again, or record it again."""
    if task.status != S.failed:
        raise Conflict(
            f"only a failed task can be retried (it is {task.status.value})",
            {"current_status": task.status.value},
        )
    upload = mode == "upload"
    target = S.uploading if upload else S.pending
    values: dict[str, Any] = {"failure_reason": None}
    if not upload:
        values["assigned_at"] = None
    return _change(task, values, target, actor, cause, now, follow=True, upload=upload)
