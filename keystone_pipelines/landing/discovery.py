"""Finding landed recordings without listing the whole bucket every time.

Two sources of candidates, both with a per-tick cost that does not grow with the objects
already handled:
- expected: every task that may still land (handed out, recording, uploading, failed) and
  has no episode; its sidecar keys are derived (both layouts; for Axon's, the dates its
  upload may have been queued on) and HEADed. Bounded by the factory's open work.
- sweep: one page of one bucket per tick, resuming from a cursor and wrapping around, so
  that anything else (a recording for a task we thought done, an odd date) is found within
  one full sweep. Bounded by the page size.
The sidecar is written last: a present sidecar means the pair is complete.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from keystone_api.episodes.models import Episode
from keystone_api.fleet.models import Robot, Workstation
from keystone_api.orders.models import Order, Task, TaskStatus
from keystone_api.registry.models import Factory
from keystone_api.settings import Settings
from keystone_api.storage.layout import RecordingKey, axon_keys, parse_key, spec_keys
from keystone_api.storage.s3 import head_or_none

MAX_EXPECTED = 5000


@dataclass(frozen=True)
class Candidate:
    bucket: str
    key: RecordingKey


def _dates(task: Task, today: date) -> set[str]:
    """UTC dates an upload of this task may have been queued on."""
    days = {today, today - timedelta(days=1)}
    finish = (task.finish_callback or {}).get("finished_at")
    if isinstance(finish, str):
        with contextlib.suppress(ValueError):
            days.add(datetime.fromisoformat(finish.replace("Z", "+00:00")).astimezone(UTC).date())
    for moment in (task.finished_at, task.started_at, task.assigned_at):
        if moment is not None:
            days.add(moment.astimezone(UTC).date())
    return {d.isoformat() for d in days}


def expected_candidates(
    session: Session, settings: Settings, now: datetime | None = None
) -> list[Candidate]:
    today = (now or datetime.now(UTC)).date()
    open_task = or_(
        Task.status.in_(
            (TaskStatus.ready, TaskStatus.in_progress, TaskStatus.uploading, TaskStatus.failed)
        ),
        and_(Task.status == TaskStatus.pending, Task.assigned_at.is_not(None)),
    )
    rows = session.execute(
        select(Task, Order.factory_id, Robot.device_id)
        .join(Order, Task.order_id == Order.id)
        .join(Workstation, Task.workstation_id == Workstation.id)
        .outerjoin(Robot, Robot.id == Task.robot_id)
        .outerjoin(Episode, Episode.task_id == Task.id)
        .where(open_task, Episode.id.is_(None))
        .limit(MAX_EXPECTED)
    ).all()
    ws_robot = _workstation_devices(session)
    out: list[Candidate] = []
    for task, factory_id, device_id in rows:
        bucket = settings.bucket_for(factory_id)
        out.append(Candidate(bucket, spec_keys(task.batch_id, task.id)))
        device = device_id or ws_robot.get(task.workstation_id)
        if device:
            for day in sorted(_dates(task, today)):
                out.append(Candidate(bucket, axon_keys(factory_id, device, day, task.id)))
    return out


def _workstation_devices(session: Session) -> dict[str, str]:
    return dict(
        session.execute(
            select(Workstation.id, Robot.device_id).join(Robot, Workstation.robot_id == Robot.id)
        ).all()
    )


def probe(s3: Any, candidates: Iterable[Candidate], workers: int = 16) -> list[Candidate]:
    """The candidates whose sidecar exists (HEADs in parallel)."""
    items = list(candidates)

    def present(c: Candidate) -> bool:
        return head_or_none(s3, c.bucket, c.key.sidecar_key) is not None

    with ThreadPoolExecutor(max_workers=workers) as pool:
        flags = list(pool.map(present, items))
    return [c for c, ok in zip(items, flags, strict=True) if ok]


def factory_buckets(session: Session, settings: Settings) -> list[str]:
    ids = session.execute(
        select(Factory.id).where(Factory.archived_at.is_(None)).order_by(Factory.id)
    ).scalars()
    return [settings.bucket_for(i) for i in ids]


def sweep_page(
    s3: Any, buckets: list[str], cursor: dict[str, Any], page_size: int = 1000
) -> tuple[list[Candidate], dict[str, Any]]:
    """One page of the rotating sweep; returns sidecar candidates and the next cursor."""
    if not buckets:
        return [], {}
    index = int(cursor.get("bucket", 0)) % len(buckets)
    bucket = buckets[index]
    start_after = cursor.get("after", "") if cursor.get("name") == bucket else ""
    try:
        page = s3.list_objects_v2(Bucket=bucket, StartAfter=start_after, MaxKeys=page_size)
    except Exception as exc:  # noqa: BLE001 - a missing bucket (no uploads yet) is normal
        if "NoSuchBucket" in str(exc):
            return [], {"bucket": index + 1, "name": None, "after": ""}
        raise
    found: list[Candidate] = []
    for obj in page.get("Contents", []):
        key = parse_key(obj["Key"])
        if key is not None and key.kind == "sidecar":
            found.append(Candidate(bucket, key))
    if page.get("IsTruncated") and page.get("Contents"):
        nxt = {"bucket": index, "name": bucket, "after": page["Contents"][-1]["Key"]}
    else:
        nxt = {"bucket": index + 1, "name": None, "after": ""}
    return found, nxt


def unregistered(session: Session, candidates: list[Candidate]) -> list[Candidate]:
    """Candidates for tasks that exist and have no episode yet (one query per call)."""
    if not candidates:
        return []
    ids = list({c.key.task_id for c in candidates})
    known = set(session.execute(select(Task.id).where(Task.id.in_(ids))).scalars())
    landed = set(session.execute(select(Episode.task_id).where(Episode.task_id.in_(ids))).scalars())
    seen: set[str] = set()
    out = []
    for c in candidates:
        if c.key.task_id in known and c.key.task_id not in landed and c.key.task_id not in seen:
            seen.add(c.key.task_id)
            out.append(c)
    return out
