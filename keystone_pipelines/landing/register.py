"""Verify and register what discovery found, through keystone_api's one landing door
(`land()`, which the transfer gateway and the API use too)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from keystone_api.db.unit_of_work import unit_of_work_in
from keystone_api.episodes.landing import land
from keystone_api.episodes.verify import VerificationFailed
from keystone_api.errors import Conflict, NotFound
from keystone_api.orders.models import Task
from keystone_pipelines.landing.discovery import Candidate

log = logging.getLogger("keystone.landing")


@dataclass
class RegisterReport:
    created: list[str] = field(default_factory=list)  # episode ids
    existing: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (key, reason)
    # Pairs only a whole read could verify (no checksum metadata): left to the transfer
    # gateway, which reads them before it ACKs; a sensor tick never reads a recording.
    deferred: list[tuple[str, str]] = field(default_factory=list)


def register_candidates(
    sessions: sessionmaker[Session],
    s3: Any,
    candidates: list[Candidate],
    actor: str = "dagster:landing_sensor",
) -> RegisterReport:
    report = RegisterReport()

    def register(session: Session, c: Candidate) -> tuple[str, bool] | None:
        task = session.get(Task, c.key.task_id)
        if task is None:
            return None
        landing = land(session, s3, c.bucket, c.key, task, actor=actor, source="sensor", read=False)
        return landing.episode.id, landing.created

    for c in candidates:
        try:
            registered = unit_of_work_in(sessions, register, c)
            if registered is None:
                continue
            episode_id, created = registered
            if created:
                report.created.append(episode_id)
            else:
                report.existing += 1
        except VerificationFailed as exc:
            # Not (yet) a complete, consistent pair: never registered; found again next tick
            # if it changes, and visible to operators in the sensor's log.
            target = report.deferred if exc.reason == "needs_read" else report.rejected
            target.append((c.key.mcap_key, exc.message))
        except (Conflict, NotFound) as exc:
            report.rejected.append((c.key.mcap_key, exc.message))
    for key, reason in report.deferred[:20]:
        log.info("left to the transfer gateway: %s: %s", key, reason)
    return report
