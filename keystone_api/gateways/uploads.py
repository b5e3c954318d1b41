"""The transfer daemon's reports, in the database: the upload record of each task, the task
states they move, and the verified landing that comes before every `upload_ack`.

Verification and registration go through `episodes.landing.land()`, the one door the
Dagster sensor and the API use too, so a recording becomes exactly one episode whichever
path sees it first. A pair that does not verify is never ACKed; what a refusal does to the
task and the upload record is decided here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.episodes.landing import land
from keystone_api.episodes.models import Episode
from keystone_api.episodes.verify import VerificationFailed
from keystone_api.errors import Conflict
from keystone_api.fleet.models import Workstation
from keystone_api.gateways.connections import RobotRef
from keystone_api.gateways.models import TaskUpload, UploadState
from keystone_api.gateways.task_sync import owned_task
from keystone_api.orders import lifecycle, lifecycle_orm
from keystone_api.orders.models import Task, TaskStatus
from keystone_api.settings import Settings
from keystone_api.storage.layout import RecordingKey, parse_key
from keystone_api.storage.locate import find_recording

S = TaskStatus
# Verification failures that mean "not there (yet)": try again later, the task is not failed.
# Any other refusal (a sidecar that is not strict JSON, a checksum nothing states or the
# stored bytes contradict) is final for this upload: the task fails with the reason and
# the robot, never ACKed, keeps its files.
NOT_YET = frozenset({"missing_mcap", "missing_sidecar", "object_changed"})
STALLABLE = (UploadState.requested, UploadState.started, UploadState.complete)


@dataclass(frozen=True)
class Verdict:
    ack: bool
    task_status: str | None = None
    episode_id: str | None = None
    created: bool = False
    reason: str | None = None  # why it is not ACKed
    mcap_key: str | None = None


def _row(session: Session, robot: RobotRef, task_id: str) -> TaskUpload:
    row = session.get(TaskUpload, task_id, with_for_update=True, populate_existing=True)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = TaskUpload(task_id=task_id, robot_id=robot.robot_id)
            session.add(row)
    except IntegrityError:  # created concurrently: take that one
        row = session.get(TaskUpload, task_id, with_for_update=True, populate_existing=True)
        assert row is not None
    return row


def _event(row: TaskUpload, state: UploadState | None = None) -> None:
    row.last_event_at = utcnow()
    if state is not None:
        row.state = state


def note_request(session: Session, robot: RobotRef, task_id: str) -> None:
    if owned_task(session, robot, task_id, lock=False) is None:
        return
    row = _row(session, robot, task_id)
    row.request_count += 1
    row.requested_at = utcnow()
    if row.state != UploadState.acked:
        _event(row, UploadState.requested)


def _fail(session: Session, robot: RobotRef, task: Task, reason: str) -> None:
    lifecycle_orm.run(session, task, lifecycle.upload_failed, reason, f"device:{robot.device_id}")


def note_started(
    session: Session, robot: RobotRef, task_id: str, info: dict[str, Any]
) -> str | None:
    task = owned_task(session, robot, task_id)
    if task is None:
        return None
    row = _row(session, robot, task_id)
    _event(row, UploadState.started)
    row.started_at = row.last_event_at
    key = info.get("s3_key") or info.get("object_key")
    row.s3_key = key[:512] if isinstance(key, str) else row.s3_key
    size = info.get("file_size_bytes", info.get("total_bytes"))
    row.file_size_bytes = size if isinstance(size, int) else row.file_size_bytes
    sha = info.get("checksum_sha256")
    row.checksum_sha256 = sha[:64] if isinstance(sha, str) and sha else row.checksum_sha256
    lifecycle_orm.run(session, task, lifecycle.upload_started, f"device:{robot.device_id}")
    return task.status.value


def note_failed(
    session: Session, robot: RobotRef, task_id: str, reason: str, retry_count: Any
) -> str | None:
    task = owned_task(session, robot, task_id)
    if task is None:
        return None
    row = _row(session, robot, task_id)
    _event(row, UploadState.failed)
    row.last_error = reason
    row.retry_count = retry_count if isinstance(retry_count, int) else row.retry_count
    _fail(session, robot, task, f"upload failed on the robot: {reason}")
    return task.status.value


def note_not_found(session: Session, robot: RobotRef, task_id: str, detail: str) -> str | None:
    task = owned_task(session, robot, task_id)
    if task is None:
        return None
    row = _row(session, robot, task_id)
    _event(row, UploadState.not_found)
    row.last_error = detail
    if task.status == S.uploading:
        _fail(session, robot, task, f"the robot has no recording of this task: {detail}")
    return task.status.value


def touch_active(session: Session, robot: RobotRef, task_ids: list[str]) -> None:
    """The daemon reports these uploads in progress: not stalled."""
    if not task_ids:
        return
    rows = session.execute(
        select(TaskUpload).where(
            TaskUpload.task_id.in_(task_ids[:200]), TaskUpload.robot_id == robot.robot_id
        )
    ).scalars()
    for row in rows:
        if row.state in STALLABLE:
            row.last_event_at = utcnow()


def already_acked(session: Session, robot: RobotRef, task_id: str) -> bool:
    """The task's recording is registered: a waiting_ack id can be ACKed again at once."""
    if owned_task(session, robot, task_id, lock=False) is None:
        return False
    return session.execute(select(Episode.id).where(Episode.task_id == task_id)).first() is not None


def _key(client: Any, bucket: str, robot: RobotRef, task: Task, reported: Any) -> RecordingKey:
    if isinstance(reported, str) and reported:
        key = parse_key(reported)
        if key is None or key.task_id != task.id:
            raise VerificationFailed("bad_key", f"'{reported}' is not a key of task '{task.id}'")
        if key.layout == "axon" and (key.device_id, key.factory_id) != (
            robot.device_id,
            robot.factory_id,
        ):
            raise VerificationFailed("bad_key", f"'{reported}' is outside this device's prefix")
        if key.layout == "spec" and key.batch_id != task.batch_id:
            raise VerificationFailed("bad_key", f"'{reported}' is not in the task's batch")
        return key
    found = find_recording(
        client,
        bucket,
        task.id,
        factory_id=robot.factory_id,
        device_id=robot.device_id,
        batch_id=task.batch_id,
    )
    if found is None:
        raise VerificationFailed("missing_mcap", f"no recording of task '{task.id}' in {bucket}")
    return found


def verify_and_register(
    session: Session, settings: Settings, robot: RobotRef, task_id: str, info: dict[str, Any]
) -> Verdict:
    """Verify the landed pair, register it (idempotent) and record the upload as ACKed."""
    from keystone_api.storage.s3 import get_s3_client

    client = get_s3_client()  # here, in the worker thread: the first one takes a while
    task = owned_task(session, robot, task_id, lock=False)
    if task is None:
        return Verdict(False, reason="not_owned")
    row = _row(session, robot, task_id)
    _event(row)
    row.completed_at = row.completed_at or row.last_event_at
    expected = info.get("checksum_sha256")
    expected = expected if isinstance(expected, str) and expected else None
    bucket = settings.bucket_for(robot.factory_id)
    try:
        key = _key(client, bucket, robot, task, info.get("s3_key") or info.get("object_key"))
        # Called on upload_complete or for a task the daemon waits to have ACKed: all it
        # will upload is there (an MCAP-only upload has no sidecar object).
        landing = land(
            session,
            client,
            bucket,
            key,
            task,
            actor=f"device:{robot.device_id}",
            source="transfer",
            expected_sha256=expected,
            complete=True,
        )
    except VerificationFailed as exc:
        return _rejected(session, robot, row, task_id, exc.reason, exc.message)
    except Conflict as exc:
        return _rejected(session, robot, row, task_id, "conflict", exc.message)
    landed = landing.recording
    row.state = UploadState.acked
    row.acked_at = utcnow()
    row.s3_key = landed.mcap_key
    row.file_size_bytes = landed.mcap_size_bytes
    row.checksum_sha256 = landed.checksum_sha256
    row.last_error = None
    status = session.execute(select(Task.status).where(Task.id == task_id)).scalar()
    return Verdict(
        True,
        status.value if status else None,
        landing.episode.id,
        landing.created,
        mcap_key=landed.mcap_key,
    )


def _rejected(
    session: Session, robot: RobotRef, row: TaskUpload, task_id: str, reason: str, message: str
) -> Verdict:
    row.last_error = message[:2000]
    task = owned_task(session, robot, task_id)
    assert task is not None
    if reason not in NOT_YET:
        row.state = UploadState.rejected
        if reason != "conflict":
            _fail(session, robot, task, f"upload verification failed: {message}")
    else:
        row.state = UploadState.complete
    return Verdict(False, task.status.value, reason=reason)


def uploads_to_request(
    session: Session,
    robot_ids: list[str],
    silent_since: datetime | None,
    limit: int = 200,
    only_new: bool = False,
) -> list[tuple[str, str]]:
    """(task id, robot id) of uploading tasks to ask for (again): never requested, or, with
    `silent_since`, heard of last before it (stalled); `only_new`: never requested only."""
    if not robot_ids:
        return []
    stale: ColumnElement[bool] = TaskUpload.state.in_(STALLABLE)
    if only_new:
        stale = false()
    if silent_since is not None:
        stale = and_(
            stale, or_(TaskUpload.last_event_at.is_(None), TaskUpload.last_event_at < silent_since)
        )
    rows = session.execute(
        select(Task.id, Task.robot_id, Workstation.robot_id)
        .join(Workstation, Workstation.id == Task.workstation_id)
        .outerjoin(TaskUpload, TaskUpload.task_id == Task.id)
        .where(
            Task.status == S.uploading,
            or_(
                Task.robot_id.in_(robot_ids),
                and_(Task.robot_id.is_(None), Workstation.robot_id.in_(robot_ids)),
            ),
            or_(TaskUpload.task_id.is_(None), stale),
        )
        .limit(limit)
    ).all()
    return [(task_id, task_robot or ws_robot or "") for task_id, task_robot, ws_robot in rows]
