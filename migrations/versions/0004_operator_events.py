"""operator events

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 09:31:55.276533

Operator events: pipeline failures and other incidents operators must see.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import keystone_api.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "operator_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("data", keystone_api.db.base.JSONType(), nullable=False),
        sa.Column("resolved_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_events")),
    )
    op.create_index("ix_operator_events_kind_at", "operator_events", ["kind", "at"], unique=False)


def downgrade() -> None:
    op.drop_table("operator_events")
