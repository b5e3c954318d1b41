"""Claims: a QA run takes its episodes in MySQL, so two runs never assess the same one, and
a crashed run's claims expire and are taken by the next run."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from keystone_api.db.base import utcnow
from keystone_api.db.unit_of_work import unit_of_work_in
from keystone_api.episodes.models import Episode, EpisodeStatus
from keystone_api.qa.models import QaReassessMark


def claimable(now: datetime):  # type: ignore[no-untyped-def]
    """Waiting for its first assessment, or marked for a re-assessment (keystone_api/qa/
    reassess.py: its old decision stands until the new one is recorded), and not held by a
    live claim. For rows already named by id (a search goes through `_waiting`)."""
    return and_(
        or_(
            Episode.status == EpisodeStatus.pending_qa,
            Episode.id.in_(select(QaReassessMark.episode_id)),
        ),
        _unclaimed(now),
    )


def _unclaimed(now: datetime):  # type: ignore[no-untyped-def]
    return or_(Episode.qa_claim_token.is_(None), Episode.qa_claimed_until < now)


def _waiting(now: datetime, *columns: Any) -> tuple[Select[Any], Select[Any]]:
    """The two kinds of work, each read through its own index (status, landed_at) or the
    marks' primary key, rather than one OR the database cannot use an index for: a sensor
    tick's cost stays with what waits, not with every episode ever assessed."""
    pending = select(*columns).where(Episode.status == EpisodeStatus.pending_qa, _unclaimed(now))
    marked = (
        select(*columns)
        .join(QaReassessMark, QaReassessMark.episode_id == Episode.id)
        .where(_unclaimed(now))
    )
    return pending, marked


def claimable_episodes(
    session: Session, now: datetime, limit: int = 20_000
) -> list[tuple[str, datetime, datetime, int]]:
    """(id, landed_at, created_at, qa_attempts) of the episodes a QA run could claim now:
    what the landing sensor batches into runs."""
    rows: list[tuple[str, datetime, datetime, int]] = []
    columns = (Episode.id, Episode.landed_at, Episode.created_at, Episode.qa_attempts)
    for stmt in _waiting(now, *columns):
        left = limit - len(rows)
        if left <= 0:
            break
        rows += [
            (i, landed, created, n) for i, landed, created, n in session.execute(stmt.limit(left))
        ]
    return rows


def claim(
    sessions: sessionmaker[Session],
    start: datetime,
    end: datetime,
    token: str,
    lease_s: int,
    limit: int = 1000,
) -> list[str]:
    """Claim up to `limit` unclaimed (or expired) pending or re-assess-marked episodes
    landed in [start, end)."""
    now = utcnow()

    def take(session: Session) -> list[str]:
        ids: list[str] = []
        for stmt in _waiting(now, Episode.id):
            if len(ids) >= limit:
                break
            ids += session.execute(
                stmt.where(Episode.landed_at >= start, Episode.landed_at < end)
                .order_by(Episode.landed_at, Episode.id)
                .limit(limit - len(ids))
                .with_for_update(skip_locked=True)
            ).scalars()
        if ids:
            session.execute(
                update(Episode)
                .where(Episode.id.in_(ids), claimable(now))
                .values(
                    qa_claim_token=token,
                    qa_claimed_until=now + timedelta(seconds=lease_s),
                    qa_attempts=Episode.qa_attempts + 1,
                )
            )
        return ids

    ids = unit_of_work_in(sessions, take)
    if not ids:
        return []
    with sessions() as session:
        # Read back what is really ours (a concurrent claimer may have won some rows).
        return list(
            session.execute(
                select(Episode.id).where(Episode.id.in_(ids), Episode.qa_claim_token == token)
            ).scalars()
        )


def release(sessions: sessionmaker[Session], episode_ids: list[str], token: str) -> None:
    """Give back claims (e.g. on a transient error) so the next run retries them at once."""
    if not episode_ids:
        return

    def give_back(session: Session) -> None:
        session.execute(
            update(Episode)
            .where(Episode.id.in_(episode_ids), Episode.qa_claim_token == token)
            .values(qa_claim_token=None, qa_claimed_until=None)
        )

    unit_of_work_in(sessions, give_back)
