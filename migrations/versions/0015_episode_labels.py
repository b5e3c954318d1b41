"""episode labels (who set them, when) and the free text the episode search reads

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-05 20:45:00

episode_labels: one row per label on an episode, with who set it and when (it replaces the
episodes.labels JSON column, which nothing wrote: a row per label is what the search finds
through an index on MariaDB and SQLite alike). episodes.task_text: the sidecar's task
fields, lower-cased, one per line, filled here for the episodes already landed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import keystone_api.db.base

revision: str = "0015"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
# As keystone_api/episodes/labels.py and search.py had them at this revision (a migration
# keeps the rules of its time).
_LABEL = re.compile(r"^[a-z0-9][a-z0-9._:-]{0,63}$")
TEXT_LIMIT = 4000


def _words(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list):
        return [w for item in value for w in _words(item)]
    return []


def _task_text(sidecar: Any) -> str:
    if isinstance(sidecar, str):
        sidecar = json.loads(sidecar)
    task = sidecar.get("task") if isinstance(sidecar, dict) else None
    if not isinstance(task, dict):
        return ""
    words = [w.strip() for value in task.values() for w in _words(value)]
    return "\n".join(w for w in words if w).lower()[:TEXT_LIMIT]


def _labels(raw: Any) -> list[str]:
    values = json.loads(raw) if isinstance(raw, str) else raw
    found = [re.sub(r" +", "-", v.strip()).lower() for v in values or [] if isinstance(v, str)]
    return list(dict.fromkeys(v for v in found if _LABEL.match(v)))


def upgrade() -> None:
    op.create_table(
        "episode_labels",
        sa.Column("episode_id", sa.String(length=36), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"], ["episodes.id"], name=op.f("fk_episode_labels_episode_id_episodes")
        ),
        sa.PrimaryKeyConstraint("episode_id", "label", name=op.f("pk_episode_labels")),
    )
    op.create_index("ix_episode_labels_label_episode", "episode_labels", ["label", "episode_id"])
    # Plain ALTER TABLE on both (SQLite >= 3.35 drops a column in place): batch mode would
    # copy and drop `episodes`, which SQLite refuses while other tables' rows refer to it.
    op.add_column("episodes", sa.Column("task_text", sa.Text(), nullable=False, server_default=""))
    _backfill()
    op.drop_column("episodes", "labels")


def _backfill() -> None:
    conn = op.get_bind()
    episodes = sa.table(
        "episodes",
        sa.column("id", sa.String),
        sa.column("sidecar", sa.Text),
        sa.column("labels", sa.Text),
        sa.column("task_text", sa.Text),
    )
    labels = sa.table(
        "episode_labels",
        sa.column("episode_id", sa.String),
        sa.column("label", sa.String),
        sa.column("created_by", sa.String),
        sa.column("created_at", keystone_api.db.base.UTCDateTime()),
    )
    now = datetime.now(UTC)
    after = ""
    while True:
        rows = conn.execute(
            sa.select(episodes.c.id, episodes.c.sidecar, episodes.c.labels)
            .where(episodes.c.id > after)
            .order_by(episodes.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for episode_id, sidecar, old_labels in rows:
            conn.execute(
                episodes.update()
                .where(episodes.c.id == episode_id)
                .values(task_text=_task_text(sidecar))
            )
            found = [
                {"episode_id": episode_id, "label": v, "created_by": "migration", "created_at": now}
                for v in _labels(old_labels)
            ]
            if found:
                conn.execute(labels.insert(), found)
        after = rows[-1][0]


def downgrade() -> None:
    op.add_column(
        "episodes",
        sa.Column("labels", keystone_api.db.base.JSONType(), nullable=False, server_default="[]"),
    )
    conn = op.get_bind()
    grouped: dict[str, list[str]] = {}
    for episode_id, label in conn.execute(
        sa.text("SELECT episode_id, label FROM episode_labels ORDER BY label")
    ):
        grouped.setdefault(episode_id, []).append(label)
    for episode_id, values in grouped.items():
        conn.execute(
            sa.text("UPDATE episodes SET labels = :labels WHERE id = :id"),
            {"labels": json.dumps(values), "id": episode_id},
        )
    op.drop_column("episodes", "task_text")
    op.drop_index("ix_episode_labels_label_episode", table_name="episode_labels")
    op.drop_table("episode_labels")
