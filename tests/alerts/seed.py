"""Seeding for the alert tests: recordings through the real API (tests.api.flows), and the
facts other processes write (a transfer daemon's status report, a task's age, the sync
queue) set through the same service functions those processes call."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from keystone_api.db.base import utcnow
from keystone_api.db.engine import get_sessionmaker
from keystone_api.episodes.models import Episode
from keystone_api.gateways.device_state import record_transfer_status
from keystone_api.ids import new_id
from keystone_api.orders.models import Task
from keystone_api.settings import get_settings
from keystone_api.sync.queue import enqueue_approved
from tests.api import flows
from tests.api.world import World, auth, ok
from tests.dashboard.seed import move_landing, recorded_not_landed


def assessed(w: World, s3: Any, passed: int, failed: int) -> list[str]:
    """Recordings landed now and assessed: `passed` with every check passed, `failed` with
    one failing check (still auto-approved: the failure rate counts checks, not status)."""
    ids = []
    for i in range(passed + failed):
        episode = flows.record_one(w, s3, i % len(w.workstations))
        flows.record_qa(episode["id"], 0.95, ("gaps",) if i >= passed else ())
        ids.append(episode["id"])
    return ids


def daemon_reports(robot_id: str, pending: int, uploading: int = 0, retry_wait: int = 0) -> None:
    """What the transfer gateway stores from the daemon's `status` message."""
    status = {
        "pending_count": pending,
        "uploading_count": uploading,
        "active_count": uploading,
        "retry_wait_count": retry_wait,
        "waiting_ack_count": 2,  # already uploaded: not in the queue
        "waiting_ack_task_ids": [],
        "uploads": [],
    }
    with get_sessionmaker().begin() as session:
        record_transfer_status(session, robot_id, status)


def in_progress(w: World, station: int = 0) -> str:
    """A recording started (start callback), not finished."""
    _, task, cfg = flows.take_task(w, station)
    ok(flows.callback(w, "start", flows.start_body(cfg), cfg["user_token"]))
    return str(task["id"])


def uploading(w: World, station: int = 0) -> str:
    """A recording finished on the robot, its upload not landed."""
    return recorded_not_landed(w, station)


def age_task(task_id: str, at: datetime) -> None:
    """As if the task had entered its current state at `at` (server clock)."""
    with get_sessionmaker().begin() as session:
        session.execute(update(Task).where(Task.id == task_id).values(updated_at=at))


def landed_ago(w: World, s3: Any, minutes: float) -> str:
    episode = flows.record_one(w, s3, 0)
    move_landing(episode["id"], utcnow() - timedelta(minutes=minutes))
    return str(episode["id"])


def approved_copies(template_episode_id: str, n: int) -> None:
    """n more approved episodes like the template (each with its own task), queued for the
    cloud by the approval path's own service (enqueue_approved). Copies, because recording
    a hundred episodes through the API would cost half a minute."""
    settings = get_settings()
    with get_sessionmaker().begin() as session:
        episode = session.get(Episode, template_episode_id)
        assert episode is not None and episode.approved_at is not None
        task = session.execute(select(Task).where(Task.id == episode.task_id)).scalar_one()
        task_row = _columns(task)
        episode_row = _columns(episode)
        new_tasks, new_episodes = [], []
        for _ in range(n):
            task_id, episode_id = new_id(), new_id()
            new_tasks.append({**task_row, "id": task_id})
            new_episodes.append({**episode_row, "id": episode_id, "task_id": task_id})
        session.execute(insert(Task), new_tasks)
        session.execute(insert(Episode), new_episodes)
        for row in new_episodes:
            copy = session.get(Episode, row["id"])
            assert copy is not None
            enqueue_approved(session, copy, settings)


def _columns(obj: Any) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in obj.__mapper__.column_attrs}


def alerts(w: World, token: str | None = None, **params: Any) -> dict[str, Any]:
    return ok(w.client.get("/api/v1/alerts", params=params, headers=auth(token or w.admin)))


def alert(w: World, name: str, token: str | None = None) -> dict[str, Any]:
    items = alerts(w, token, factory_id=w.factory_id)["items"]
    (found,) = [a for a in items if a["name"] == name and a["factory_id"] == w.factory_id]
    return found
