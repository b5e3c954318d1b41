"""The queue's rows, claimed by one sender at a time, in approval order.

A claim is a compare-and-set UPDATE (claimed_by, claimed_until) that only succeeds when no
live claim exists, so it works the same on MariaDB and SQLite and two senders never send
the same episode. A claim expires: a sender that dies loses its episodes after
`sync_claim_ttl_s`; a live one renews its claims with every progress write.

Order: an episode is handed to the receiver only when no episode approved before it is
still pending (queued or uploading). Transfers run in parallel, registrations do not
overtake each other, so the cloud's first-sync order follows approved_at.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Result, and_, or_, select, update
from sqlalchemy.orm import Session

from keystone_api.sync.models import EpisodeSync, SyncState

PENDING = (SyncState.queued, SyncState.uploading)  # hold their place in the order
# What a sender takes by itself. Failed episodes are not in it: they wait for a person,
# who re-queues them (manual.py) once the cause is fixed.
SENDABLE = PENDING


def _unclaimed(now: datetime) -> Any:
    return or_(EpisodeSync.claimed_until.is_(None), EpisodeSync.claimed_until < now)


def claim_window(
    session: Session, worker: str, now: datetime, size: int, ttl_s: float
) -> list[EpisodeSync]:
    """Claim up to `size` due episodes, oldest approval first.

    The window stops at the first pending episode that is backing off: everything approved
    after it would have to wait for it anyway.
    """
    candidates = session.execute(
        select(EpisodeSync)
        .where(EpisodeSync.state.in_(SENDABLE))
        .order_by(EpisodeSync.approved_at, EpisodeSync.episode_id)
        .limit(size * 4 + 16)
    ).scalars()
    until = now + timedelta(seconds=ttl_s)
    claimed: list[EpisodeSync] = []
    for row in candidates:
        if len(claimed) >= size:
            break
        if row.claimed_until is not None and row.claimed_until >= now:
            continue  # another sender has it
        if row.next_attempt_at is not None and row.next_attempt_at > now:
            break
        won = _rowcount(
            session.execute(
                update(EpisodeSync)
                .where(
                    EpisodeSync.episode_id == row.episode_id,
                    EpisodeSync.state.in_(SENDABLE),
                    _unclaimed(now),
                )
                .values(claimed_by=worker, claimed_until=until)
                .execution_options(synchronize_session=False)
            )
        )
        if won == 1:
            session.refresh(row)
            claimed.append(row)
    return claimed


def update_claimed(
    session: Session, episode_id: str, worker: str, now: datetime, **values: Any
) -> bool:
    """Write to a row only while it is still ours (False: another sender claimed it).

    An expired claim nobody has taken yet is still ours: a claim only lapses in favour of
    another sender's compare-and-set, which replaces claimed_by.
    """
    result = _rowcount(
        session.execute(
            update(EpisodeSync)
            .where(
                EpisodeSync.episode_id == episode_id,
                EpisodeSync.claimed_by == worker,
            )
            .values(updated_at=now, **values)
            .execution_options(synchronize_session=False)
        )
    )
    return result == 1


def _rowcount(result: Result[Any]) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def earlier_pending(session: Session, row: EpisodeSync) -> str | None:
    """An episode approved before this one and still pending, if any (the order gate)."""
    return session.execute(
        select(EpisodeSync.episode_id)
        .where(
            EpisodeSync.state.in_(PENDING),
            # (approved_at, episode_id) < the row's, spelt so the state/approved_at index
            # serves it on MariaDB (a row-constructor comparison is not sargable there).
            or_(
                EpisodeSync.approved_at < row.approved_at,
                and_(
                    EpisodeSync.approved_at == row.approved_at,
                    EpisodeSync.episode_id < row.episode_id,
                ),
            ),
        )
        .limit(1)
    ).scalar_one_or_none()


def next_due(session: Session, now: datetime) -> datetime | None:
    """When the queue's head can next be tried (None when nothing is pending).

    The head is the oldest pending episode: nothing behind it registers before it does.
    Failed episodes do not count: they wait for a person, never for a drain.
    """
    head = session.execute(
        select(EpisodeSync.next_attempt_at, EpisodeSync.claimed_until)
        .where(EpisodeSync.state.in_(PENDING))
        .order_by(EpisodeSync.approved_at, EpisodeSync.episode_id)
        .limit(1)
    ).first()
    if head is None:
        return None
    return max(t for t in (head[0], head[1], now) if t is not None)


def queue_filter(now: datetime) -> Any:
    """Rows a sender could take right now (for counting)."""
    return and_(
        EpisodeSync.state.in_(SENDABLE),
        or_(EpisodeSync.next_attempt_at.is_(None), EpisodeSync.next_attempt_at <= now),
        _unclaimed(now),
    )
