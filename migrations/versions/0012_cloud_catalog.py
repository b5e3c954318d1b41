"""the cloud's episode catalog: data readers, and what the catalog filters on

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 20:30:00

users.role may be `data_reader` (the cloud's data consumers: the catalog, its details and
downloads). cloud_episodes keep where each episode came from and what the catalog filters
on (factory name, task, order, batch, workstation, robot, robot type, scene, subscene, QA
score and checks), filled from each delivery's `catalog`; cloud_episode_tags hold their
skills and labels. Episodes received before get what their sidecar says (scene, subscene,
skills, task, order, device); the rest stays empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import keystone_api.db.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ROLES = ("admin", "operator", "collector", "inspector", "robot", "display", "service")
NEW_ROLES = (*OLD_ROLES, "data_reader")
TEXT_COLUMNS = ("factory_name", "workstation", "device_id", "robot_type", "scene", "subscene")
ID_COLUMNS = ("task_id", "order_id", "batch_id", "workstation_id", "robot_id")


def _in(names: tuple[str, ...]) -> str:
    return "role IN ({})".format(", ".join(f"'{n}'" for n in names))


def _role_check(new: tuple[str, ...]) -> None:
    # SQLite's batch mode copies the table without the dropped constraint (it reflects
    # named CHECK constraints); MariaDB alters it in place.
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_user_role"), type_="check")
        batch.create_check_constraint(op.f("ck_users_user_role"), sa.text(_in(new)))


def upgrade() -> None:
    _role_check(NEW_ROLES)
    with op.batch_alter_table("cloud_episodes") as batch:
        for name in TEXT_COLUMNS:
            batch.add_column(
                sa.Column(name, sa.String(length=200), nullable=False, server_default="")
            )
        for name in ID_COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("qa_score", sa.Double(), nullable=True))
        batch.add_column(sa.Column("qa_checks", keystone_api.db.base.JSONType(), nullable=True))
        batch.create_index("ix_cloud_episodes_approved", ["approved_at"])
        batch.create_index("ix_cloud_episodes_scene_approved", ["scene", "approved_at"])
        batch.create_index("ix_cloud_episodes_robot_type_approved", ["robot_type", "approved_at"])
    op.create_table(
        "cloud_episode_tags",
        sa.Column("episode_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("episode_id", "kind", "value", name=op.f("pk_cloud_episode_tags")),
    )
    op.create_index(
        "ix_cloud_episode_tags_kind_value", "cloud_episode_tags", ["kind", "value", "episode_id"]
    )
    _backfill_from_sidecars()


def _text(value: Any, limit: int = 200) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _backfill_from_sidecars() -> None:
    """What the sidecars of episodes received before say (the protocol's `task` block)."""
    conn = op.get_bind()
    episodes = sa.table(
        "cloud_episodes",
        sa.column("episode_id"),
        sa.column("sidecar", keystone_api.db.base.JSONType()),
        *(sa.column(name) for name in ("scene", "subscene", "task_id", "order_id", "device_id")),
    )
    tags = sa.table("cloud_episode_tags", *(sa.column(n) for n in ("episode_id", "kind", "value")))
    rows = conn.execute(sa.select(episodes.c.episode_id, episodes.c.sidecar)).all()
    for episode_id, sidecar in rows:
        task = (sidecar or {}).get("task") if isinstance(sidecar, dict) else None
        device = (sidecar or {}).get("device") if isinstance(sidecar, dict) else None
        task = task if isinstance(task, dict) else {}
        device = device if isinstance(device, dict) else {}
        values = {
            "scene": _text(task.get("scene")),
            "subscene": _text(task.get("subscene")),
            "task_id": _text(task.get("task_id"), 64) or None,
            "order_id": _text(task.get("order_id"), 64) or None,
            "device_id": _text(device.get("device_id")),
        }
        conn.execute(episodes.update().where(episodes.c.episode_id == episode_id).values(**values))
        skills = task.get("skills") if isinstance(task.get("skills"), list) else []
        # Once each as MariaDB's case-insensitive collation compares them (the key).
        unique: dict[str, str] = {}
        for skill in skills:
            if isinstance(skill, str) and skill.strip():
                unique.setdefault(skill.strip()[:100].casefold(), skill.strip()[:100])
        names = sorted(unique.values())
        if names:
            conn.execute(
                tags.insert(),
                [{"episode_id": episode_id, "kind": "skill", "value": n} for n in names],
            )


def downgrade() -> None:
    op.drop_table("cloud_episode_tags")
    with op.batch_alter_table("cloud_episodes") as batch:
        batch.drop_index("ix_cloud_episodes_robot_type_approved")
        batch.drop_index("ix_cloud_episodes_scene_approved")
        batch.drop_index("ix_cloud_episodes_approved")
        for name in (*TEXT_COLUMNS, *ID_COLUMNS, "qa_score", "qa_checks"):
            batch.drop_column(name)
    # Data readers cannot exist before this revision: their accounts go with it.
    op.execute(sa.text("DELETE FROM users WHERE role = 'data_reader'"))
    _role_check(OLD_ROLES)
