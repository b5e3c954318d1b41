"""Labels on episodes: short normalized tags inspectors put on what they review ("occluded",
"night-shift", "customer:acme"), one row each with who set it and when.

One normalizer for every door (the label routes, the search filter): a label is trimmed,
lower-cased, its inner spaces become '-', then it must be 1-64 characters of a-z, 0-9
and `. _ : -`, starting with a letter or digit. So "Night Shift" and "night-shift" are one
label, a search finds what was set, and the cloud catalog (which compares tags
case-insensitively, at most 100 characters) gets the same string.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Index, Select, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from keystone_api.common.crud import flush_or_conflict
from keystone_api.db.base import Base, fk, utcnow
from keystone_api.episodes.models import Episode
from keystone_api.errors import Conflict, NotFound

MAX_LENGTH = 64
MAX_PER_EPISODE = 50  # what one delivery's catalog facts carry (sync/episode_facts.py)
PATTERN = r"^[a-z0-9][a-z0-9._:-]*$"
_VALID = re.compile(PATTERN)
_SPACES = re.compile(r" +")  # spaces only: a tab or line break in a label is a mistake


class EpisodeLabel(Base):
    """One label on one episode: who set it, when."""

    __tablename__ = "episode_labels"
    # The search finds the episodes with a label through this index (label first).
    __table_args__ = (Index("ix_episode_labels_label_episode", "label", "episode_id"),)
    episode_id: Mapped[str] = fk("episodes.id", primary_key=True)
    label: Mapped[str] = mapped_column(String(MAX_LENGTH), primary_key=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column()


class LabelInvalid(ValueError):
    """Not a label; the message says why (pydantic turns it into a 422)."""


def normalize(raw: str) -> str:
    label = _SPACES.sub("-", raw.strip()).lower()
    if not label:
        raise LabelInvalid("a label may not be empty")
    if len(label) > MAX_LENGTH:
        raise LabelInvalid(f"a label has at most {MAX_LENGTH} characters (got {len(label)})")
    if not _VALID.match(label):
        raise LabelInvalid(
            f"label {label[:MAX_LENGTH]!r}: only letters a-z, digits and . _ : - "
            "(starting with a letter or digit)"
        )
    return label


def labels_of(session: Session, episode_ids: list[str]) -> dict[str, list[str]]:
    """{episode_id: [label, ...]} sorted, in one query."""
    found: dict[str, list[str]] = defaultdict(list)
    if episode_ids:
        rows = session.execute(
            select(EpisodeLabel.episode_id, EpisodeLabel.label)
            .where(EpisodeLabel.episode_id.in_(episode_ids))
            .order_by(EpisodeLabel.label)
        )
        for episode_id, label in rows:
            found[episode_id].append(label)
    return found


def in_use(session: Session, visible: Select[Any], limit: int = 500) -> list[dict[str, Any]]:
    """The labels on the episodes of `visible` (the caller's), with how many carry each, so
    a page suggests labels that exist instead of making people guess their spelling."""
    ids = visible.with_only_columns(Episode.id).order_by(None)
    rows = session.execute(
        select(EpisodeLabel.label, func.count())
        .where(EpisodeLabel.episode_id.in_(ids))
        .group_by(EpisodeLabel.label)
        .order_by(EpisodeLabel.label)
        .limit(limit)
    )
    return [{"label": label, "episodes": int(n)} for label, n in rows]


def rows_of(session: Session, episode_id: str) -> list[EpisodeLabel]:
    return list(
        session.execute(
            select(EpisodeLabel)
            .where(EpisodeLabel.episode_id == episode_id)
            .order_by(EpisodeLabel.label)
        ).scalars()
    )


def add_label(session: Session, episode_id: str, label: str, actor: str) -> list[EpisodeLabel]:
    """Set a (normalized) label; setting it again keeps its first author and time."""
    current = rows_of(session, episode_id)
    if all(row.label != label for row in current):
        if len(current) >= MAX_PER_EPISODE:
            raise Conflict(
                f"episode '{episode_id}' has {MAX_PER_EPISODE} labels, the most it may have",
                {"episode_id": episode_id},
            )
        session.add(
            EpisodeLabel(
                episode_id=episode_id, label=label, created_by=actor[:200], created_at=utcnow()
            )
        )
        flush_or_conflict(session, f"label '{label}' on episode '{episode_id}'")  # a race
    return rows_of(session, episode_id)


def remove_label(session: Session, episode_id: str, label: str) -> list[EpisodeLabel]:
    gone = session.execute(
        delete(EpisodeLabel).where(
            EpisodeLabel.episode_id == episode_id, EpisodeLabel.label == label
        )
    )
    if not gone.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"episode '{episode_id}' has no label '{label}'")
    session.flush()
    return rows_of(session, episode_id)
