"""Landing: THE one way a recording in the object store becomes an episode.

`land()` verifies the pair (verify.py) and registers it, idempotently and keyed by task,
as exactly one `pending_qa` episode. Every path that notices an upload calls it: the
transfer gateway (on `upload_complete`, before it ACKs), the Dagster landing sensor
(listing the bucket) and the API (an operator registering a recording by hand). Whichever
comes first creates the episode; the others get the same episode back. A finish callback
may come before, after, or never. What differs between the paths (who they are, how they
find the key, what they do with a refusal, which thread they run on) stays with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.client import BaseClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.episodes import states
from keystone_api.episodes.models import Episode
from keystone_api.episodes.search import task_text
from keystone_api.episodes.verify import LandedRecording, VerificationFailed, verify_pair
from keystone_api.errors import Conflict, NotFound
from keystone_api.fleet.models import Workstation
from keystone_api.orders import lifecycle, lifecycle_orm
from keystone_api.orders.models import Order, Task
from keystone_api.storage.layout import RecordingKey


@dataclass(frozen=True)
class Landing:
    episode: Episode
    created: bool  # False: the recording was registered before (by this path or another)
    recording: LandedRecording


def land(
    session: Session,
    client: BaseClient,
    bucket: str,
    key: RecordingKey,
    task: Task,
    *,
    actor: str,
    source: str,
    expected_sha256: str | None = None,
    read: bool = True,
    complete: bool = False,
) -> Landing:
    """Verify the pair at `key` in `bucket` against `task` and register it as its episode.

    `expected_sha256`: what the caller was told the recording's SHA-256 is (the robot's
    report, an operator's). `read`, `complete`: as `verify_pair` (a sensor tick never
    reads a whole recording; the transfer daemon's `upload_complete` means a missing
    sidecar is an MCAP-only upload).

    Raises VerificationFailed (not a complete, consistent pair: nothing is written) or
    Conflict (the task already has an episode from another recording); what to do then is
    the caller's policy.
    """
    if key.task_id != task.id:
        raise VerificationFailed("bad_key", f"'{key.mcap_key}' is not a key of task '{task.id}'")
    recording = verify_pair(
        client,
        bucket,
        key,
        task.finish_callback,
        expected_sha256,
        source,
        read=read,
        complete=complete,
    )
    episode, created = _register(session, recording, actor)
    return Landing(episode, created, recording)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    from datetime import UTC

    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


BIGINT_MAX = 2**63 - 1


def _finite(value: Any) -> float | None:
    """A number the DOUBLE column and the cloud's JSON can hold, else None (unknown)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any double
        return None
    return number if math.isfinite(number) else None


def _count(value: Any) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= BIGINT_MAX
    return int(value) if ok else None


def _recording_facts(landed: LandedRecording, task: Task) -> dict[str, Any]:
    """Facts of the recording: the sidecar is authoritative, the finish callback fills gaps.
    A value of the wrong type or out of range counts as absent (the sidecar itself was
    parsed strictly; the callback body is the recorder's)."""
    rec = (landed.sidecar or {}).get("recording")
    rec = rec if isinstance(rec, dict) else {}
    finish = task.finish_callback or {}
    duration = rec.get("duration_sec", finish.get("duration_sec"))
    count = rec.get("message_count", finish.get("message_count"))
    return {
        "duration_s": _finite(duration),
        "message_count": _count(count),
        "recording_started_at": _parse_time(rec.get("recording_started_at"))
        or _parse_time(finish.get("started_at")),
        "recording_finished_at": _parse_time(rec.get("recording_finished_at"))
        or _parse_time(finish.get("finished_at")),
    }


def _register(session: Session, landed: LandedRecording, actor: str) -> tuple[Episode, bool]:
    """Create the task's episode (status pending_qa) and complete the task; idempotent.

    Returns (episode, created). The same recording registered again returns the existing
    episode; a different recording for a task that already has one is a Conflict.
    """
    # Lock the task: concurrent registrations of one task serialize here.
    task = session.execute(
        select(Task).where(Task.id == landed.task_id).with_for_update()
    ).scalar_one_or_none()
    if task is None:
        raise NotFound(f"task '{landed.task_id}' not found")
    existing = session.execute(
        select(Episode).where(Episode.task_id == task.id)
    ).scalar_one_or_none()
    if existing is not None:
        same = (
            existing.mcap_key == landed.mcap_key
            and existing.bucket == landed.bucket
            and existing.checksum_sha256 == landed.checksum_sha256
        )
        if not same:
            raise Conflict(
                f"task '{task.id}' already has episode '{existing.id}' from another recording",
                {"episode_id": existing.id},
            )
        return existing, False
    order = session.get(Order, task.order_id)
    ws = session.get(Workstation, task.workstation_id)
    assert order is not None and ws is not None
    episode = Episode(
        task_id=task.id,
        factory_id=order.factory_id,
        order_id=order.id,
        batch_id=task.batch_id,
        workstation_id=task.workstation_id,
        robot_id=task.robot_id or ws.robot_id,
        data_collector_id=task.data_collector_id or ws.data_collector_id,
        scene_id=order.scene_id,
        subscene_id=order.subscene_id,
        sop_id=task.sop_id,
        bucket=landed.bucket,
        mcap_key=landed.mcap_key,
        sidecar_key=landed.sidecar_key,
        mcap_size_bytes=landed.mcap_size_bytes,
        sidecar_size_bytes=landed.sidecar_size_bytes,
        checksum_sha256=landed.checksum_sha256,
        sidecar_sha256=landed.sidecar_sha256,
        sidecar=landed.sidecar,
        task_text=task_text(landed.sidecar),
        landed_at=landed.landed_at,
        registered_by=landed.source,
        **_recording_facts(landed, task),
    )
    session.add(episode)
    session.flush()
    states.record_creation(session, episode, actor, f"recording landed ({landed.source})")
    lifecycle_orm.run(session, task, lifecycle.landed, actor)
    return episode, True
