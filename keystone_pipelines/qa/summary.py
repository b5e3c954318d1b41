"""What an hour of episodes looks like: the numbers every materialization and check shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.episodes import spot_checks
from keystone_api.episodes.models import Episode, EpisodeStatus, QaCheck

E = EpisodeStatus
FLAGGED_ROWS = 25  # rows in the flagged table; the rest is one link away


@dataclass
class HourSummary:
    start: datetime
    end: datetime
    landed: int = 0
    bytes_landed: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    qa_passed: int = 0
    stuck: int = 0
    # Auto-approved, sampled for a spot check no inspector has decided yet.
    spot_checks_waiting: int = 0
    flagged: list[dict[str, object]] = field(default_factory=list)

    @property
    def assessed(self) -> int:
        return self.landed - self.by_status.get(E.pending_qa.value, 0)

    @property
    def auto_approved(self) -> int:
        return self.by_status.get(E.auto_approved.value, 0)

    @property
    def awaiting_inspection(self) -> int:
        return self.by_status.get(E.needs_inspection.value, 0)

    @property
    def rejected(self) -> int:
        return self.by_status.get(E.rejected.value, 0)

    @property
    def pass_rate(self) -> float | None:
        return self.qa_passed / self.assessed if self.assessed else None

    @property
    def failure_rate(self) -> float | None:
        return None if self.pass_rate is None else 1 - self.pass_rate


def hour_summary(session: Session, start: datetime, stuck_after_s: int = 1800) -> HourSummary:
    end = start + timedelta(hours=1)
    in_hour = (Episode.landed_at >= start, Episode.landed_at < end)
    s = HourSummary(start, end)
    for status, count, size in session.execute(
        select(Episode.status, func.count(), func.coalesce(func.sum(Episode.mcap_size_bytes), 0))
        .where(*in_hour)
        .group_by(Episode.status)
    ):
        s.by_status[getattr(status, "value", status)] = int(count)
        s.landed += int(count)
        s.bytes_landed += int(size)
    s.by_source = {
        src: int(n)
        for src, n in session.execute(
            select(Episode.registered_by, func.count())
            .where(*in_hour)
            .group_by(Episode.registered_by)
        )
    }
    # "Passed QA" = the score auto-approved it; inspector outcomes do not change QA's verdict.
    s.qa_passed = int(
        session.execute(
            select(func.count()).select_from(Episode).where(*in_hour, Episode.qa_passed.is_(True))
        ).scalar_one()
    )
    cutoff = utcnow() - timedelta(seconds=stuck_after_s)
    s.stuck = int(
        session.execute(
            select(func.count())
            .select_from(Episode)
            .where(*in_hour, Episode.status == E.pending_qa, Episode.landed_at < cutoff)
        ).scalar_one()
    )
    s.spot_checks_waiting = int(
        session.execute(
            select(func.count())
            .select_from(Episode)
            .where(
                *in_hour,
                Episode.status == E.auto_approved,
                Episode.id.in_(spot_checks.pending_ids()),
            )
        ).scalar_one()
    )
    flagged = session.execute(
        select(Episode.id, Episode.status, Episode.qa_score, Episode.robot_id)
        .where(*in_hour, Episode.status.in_((E.needs_inspection, E.rejected)))
        .order_by(Episode.landed_at)
        .limit(FLAGGED_ROWS)
    ).all()
    failing: dict[str, list[str]] = {}
    if flagged:
        for episode_id, name in session.execute(
            select(QaCheck.episode_id, QaCheck.name).where(
                QaCheck.episode_id.in_([f[0] for f in flagged]), QaCheck.passed.is_(False)
            )
        ):
            failing.setdefault(episode_id, []).append(name)
    s.flagged = [
        {
            "episode_id": eid,
            "status": getattr(st, "value", st),
            "score": score,
            "failing": sorted(failing.get(eid, [])),
        }
        for eid, st, score, _ in flagged
    ]
    return s
