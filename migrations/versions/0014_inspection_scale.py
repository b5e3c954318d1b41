"""inspection at scale: spot checks and annotated decisions

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-05 20:45:00

robot_types.spot_check_share: the share of a type's auto-approved episodes that also go to
an inspector (default 2 %). spot_checks: the sampled episodes, held from sync until
decided. inspection_annotations: time ranges and topics a decision names.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import keystone_api.db.base

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("robot_types") as batch:
        batch.add_column(
            sa.Column("spot_check_share", sa.Double(), nullable=False, server_default="0.02")
        )
    op.create_table(
        "spot_checks",
        sa.Column("episode_id", sa.String(length=36), nullable=False),
        sa.Column("robot_type_id", sa.String(length=36), nullable=True),
        sa.Column("share", sa.Double(), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("sampled_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("decided_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["episode_id"], ["episodes.id"], name=op.f("fk_spot_checks_episode_id_episodes")
        ),
        sa.ForeignKeyConstraint(
            ["robot_type_id"],
            ["robot_types.id"],
            name=op.f("fk_spot_checks_robot_type_id_robot_types"),
        ),
        sa.PrimaryKeyConstraint("episode_id", name=op.f("pk_spot_checks")),
    )
    op.create_index("ix_spot_checks_decided_sampled", "spot_checks", ["decided_at", "sampled_at"])
    op.create_index(op.f("ix_spot_checks_robot_type_id"), "spot_checks", ["robot_type_id"])
    op.create_table(
        "inspection_annotations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("episode_id", sa.String(length=36), nullable=False),
        sa.Column("start_s", sa.Double(), nullable=False),
        sa.Column("end_s", sa.Double(), nullable=False),
        sa.Column("topic", sa.String(length=256), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["inspection_decisions.id"],
            name=op.f("fk_inspection_annotations_decision_id_inspection_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["episodes.id"],
            name=op.f("fk_inspection_annotations_episode_id_episodes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_annotations")),
    )
    op.create_index(
        op.f("ix_inspection_annotations_decision_id"), "inspection_annotations", ["decision_id"]
    )
    op.create_index(
        op.f("ix_inspection_annotations_episode_id"), "inspection_annotations", ["episode_id"]
    )


def downgrade() -> None:
    op.drop_table("inspection_annotations")
    op.drop_table("spot_checks")
    with op.batch_alter_table("robot_types") as batch:
        batch.drop_column("spot_check_share")
