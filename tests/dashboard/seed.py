"""A factory with production to show: episodes in every QA status through the real API and
the QA service, plus the few facts only other processes write (the sync sender's
confirmation, an upload failure, an earlier landing time), set the way those write them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from keystone_api.db.engine import get_sessionmaker
from keystone_api.episodes.models import Episode
from keystone_api.ids import new_id
from keystone_api.orders import task_states
from keystone_api.orders.models import Task, TaskStatus
from keystone_api.settings import get_settings
from keystone_api.sync.models import EpisodeSync, SyncState
from tests.api import flows
from tests.api.world import World, auth, ok


@dataclass
class Production:
    order: dict[str, Any]
    episodes: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> episode
    failed_task: str = ""
    uploading_task: str = ""


def display_token(w: World, factory_id: str | None = None) -> str:
    """A floor screen's token, minted the way an admin does (POST /tokens)."""
    body = {"role": "display", "factory_id": factory_id or w.factory_id, "ttl_s": 3600}
    return str(w.post("/api/v1/tokens", body)["access_token"])


def inspect(w: World, episode_id: str, decision: str, reason: str = "") -> dict[str, Any]:
    body = {"decision": decision, "reason": reason}
    token = w.user("inspector")
    return ok(
        w.client.post(f"/api/v1/episodes/{episode_id}/inspection", json=body, headers=auth(token))
    )


def hold_from_qa(episode_id: str) -> None:
    """Keep a pending episode pending: a QA claim no run holds, for a day. The session's
    Dagster daemons (tests/pipelines) assess whatever pending episode they find in the
    shared database, which turned this one's fake recording into a flagged episode."""
    with get_sessionmaker().begin() as session:
        session.execute(
            update(Episode)
            .where(Episode.id == episode_id)
            .values(
                qa_claim_token="held-by-the-dashboard-seed",
                qa_claimed_until=datetime.now(UTC) + timedelta(days=1),
            )
        )


def move_landing(episode_id: str, landed_at: datetime) -> None:
    """As if the recording had landed then (its task ended then too)."""
    with get_sessionmaker().begin() as session:
        task_id = session.get(Episode, episode_id).task_id  # type: ignore[union-attr]
        session.execute(update(Episode).where(Episode.id == episode_id).values(landed_at=landed_at))
        session.execute(update(Task).where(Task.id == task_id).values(updated_at=landed_at))


def mark_synced(episode_id: str, after_s: float) -> None:
    """What the sync sender writes when the cloud confirms."""
    with get_sessionmaker().begin() as session:
        row = session.get(EpisodeSync, episode_id)
        assert row is not None
        row.state = SyncState.synced
        row.synced_at = row.approved_at + timedelta(seconds=after_s)


def fail_upload(task_id: str) -> None:
    """What the transfer gateway does on the robot's upload_failed."""
    with get_sessionmaker().begin() as session:
        task = session.get(Task, task_id)
        assert task is not None
        task_states.transition(session, task, TaskStatus.failed, "device:test", "upload failed")


def recorded_not_landed(w: World, station: int) -> str:
    _, task, cfg = flows.take_task(w, station)
    ok(flows.callback(w, "start", flows.start_body(cfg), cfg["user_token"]))
    ok(flows.callback(w, "finish", flows.finish_body(cfg), cfg["user_token"]))
    return str(task["id"])


def seed_production(w: World, s3: Any) -> Production:
    """Station 0 (collector 0) and station 1 (collector 1):

    name      station  QA                      status
    perfect   0        1.00, all passed        auto_approved, synced 30 s after approval
    gappy     0        0.95, gaps failed       auto_approved
    pending   0        (not assessed yet)      pending_qa
    blurry    1        0.50, images failed     needs_inspection
    bad       1        0.40, topics failed     rejected by an inspector
    old       1        1.00                    auto_approved, landed 36 h ago
    plus a task whose upload failed (station 0) and one still uploading (station 1).
    """
    p = Production(order=w.order(target=20, name=f"Towels {new_id()[-6:]}"))
    plan = [
        ("perfect", 0, 1.0, ()),
        ("gappy", 0, 0.95, ("gaps",)),
        ("pending", 0, None, ()),
        ("blurry", 1, 0.5, ("image_integrity",)),
        ("bad", 1, 0.4, ("required_topics",)),
        ("old", 1, 1.0, ()),
    ]
    for name, station, score, failing in plan:
        episode = flows.record_one(w, s3, station)
        if score is not None:
            flows.record_qa(episode["id"], score, failing)
        p.episodes[name] = episode
    hold_from_qa(p.episodes["pending"]["id"])
    inspect(w, p.episodes["bad"]["id"], "reject", "gripper topic missing")
    mark_synced(p.episodes["perfect"]["id"], 30)
    move_landing(p.episodes["old"]["id"], datetime.now(UTC) - timedelta(hours=36))
    p.failed_task = recorded_not_landed(w, 0)
    fail_upload(p.failed_task)
    p.uploading_task = recorded_not_landed(w, 1)
    return p


def flagged_with_evidence(w: World, s3: Any, tmp: Path, station: int = 0) -> dict[str, Any]:
    """A real recording with corrupt camera frames, assessed by the real QA code: flagged
    for inspection, with its timeline and contact sheet stored next to it."""
    from keystone_pipelines.qa.assess import assess
    from tests.pipelines.recordings import record_and_upload

    task, key = record_and_upload(w, s3, tmp, station, corrupt_jpeg_fraction=0.4)
    episode = ok(
        w.client.post(
            "/api/v1/episodes/landed",
            json={"task_id": task["id"], "mcap_key": key.mcap_key},
            headers=auth(w.admin),
        ),
        201,
    )
    token = "test-" + new_id()
    sessions = get_sessionmaker()
    with sessions.begin() as session:  # this episode only: what QA's claim() writes
        session.execute(
            update(Episode)
            .where(Episode.id == episode["id"])
            .values(qa_claim_token=token, qa_claimed_until=datetime.now(UTC) + timedelta(minutes=5))
        )
    result = assess(sessions, s3, get_settings(), episode["id"], token, "dagster:test")
    names = sorted(key.rsplit("/", 1)[-1] for key in result.evidence)
    assert result.status == "needs_inspection", result
    assert names == ["contact_sheet.jpg", "timeline.png"], result
    return episode
