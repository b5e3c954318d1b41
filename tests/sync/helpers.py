"""Episodes made for real over the edge's HTTP API, and views of both sides' state."""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any

from sqlalchemy import select

from keystone_api.db.engine import get_sessionmaker
from keystone_api.settings import Settings
from keystone_api.sync.models import EpisodeSync, SyncAttempt
from keystone_api.sync.sender import DrainReport, drain
from tests.api.flows import callback, finish_body, land, record_qa, start_body, take_task
from tests.api.world import World, auth, ok


def mcap_bytes(size: int = 2048) -> bytes:
    return b"\x89MCAP0\r\n" + os.urandom(size - 8)


def landed(w: World, s3: Any, data: bytes | None = None, station: int = 0) -> dict[str, Any]:
    """A recording through task, callbacks and landing: a pending_qa episode."""
    data = data if data is not None else mcap_bytes()
    _, _, cfg = take_task(w, station)
    ok(callback(w, "start", start_body(cfg), cfg["user_token"]))
    ok(callback(w, "finish", finish_body(cfg, size=len(data)), cfg["user_token"]))
    episode = land(w, s3, cfg, data=data)
    episode["sha256"] = hashlib.sha256(data).hexdigest()
    return episode


def approve(episode: dict[str, Any]) -> dict[str, Any]:
    record_qa(episode["id"], 0.97)
    return episode


def flag(episode: dict[str, Any]) -> dict[str, Any]:
    record_qa(episode["id"], 0.5, failing=("gaps",))
    return episode


def inspect(w: World, episode: dict[str, Any], decision: str) -> dict[str, Any]:
    body = {"decision": decision, "reason": "test" if decision == "reject" else ""}
    ok(
        w.client.post(
            f"/api/v1/episodes/{episode['id']}/inspection", json=body, headers=auth(w.admin)
        )
    )
    return episode


def sync_rows(ids: list[str]) -> dict[str, EpisodeSync]:
    with get_sessionmaker()() as session:
        rows = session.execute(select(EpisodeSync).where(EpisodeSync.episode_id.in_(ids)))
        return {r.episode_id: r for r in rows.scalars()}


def attempts(episode_id: str) -> list[SyncAttempt]:
    with get_sessionmaker()() as session:
        return list(
            session.execute(
                select(SyncAttempt)
                .where(SyncAttempt.episode_id == episode_id)
                .order_by(SyncAttempt.id)
            ).scalars()
        )


def drain_all(settings: Settings, timeout_s: float = 60) -> DrainReport:
    """Drain until nothing is pending (failed episodes may remain, backing off)."""
    deadline = time.monotonic() + timeout_s
    total = DrainReport()
    while True:
        report = drain(get_sessionmaker(), settings)
        total.synced += report.synced
        total.already_synced += report.already_synced
        total.errors += report.errors
        total.bytes_sent += report.bytes_sent
        total.replicas_pushed += report.replicas_pushed
        total.remaining = report.remaining
        total.stopped = report.stopped
        if report.stopped == "empty" or _only_failed_left():
            return total
        assert time.monotonic() < deadline, f"queue did not drain: {report}"
        time.sleep(0.05)


def _only_failed_left() -> bool:
    from keystone_api.sync.queue_claims import PENDING

    with get_sessionmaker()() as session:
        pending = session.execute(
            select(EpisodeSync.episode_id).where(EpisodeSync.state.in_(PENDING)).limit(1)
        ).first()
    return pending is None
