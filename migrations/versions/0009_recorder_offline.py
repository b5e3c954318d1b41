"""a task keeps its recorder when the recorder's socket drops

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 16:40:00

A recorder that loses its socket keeps recording and reconnects (axon-protocol.md section
7): its task stays in progress, marked with when the recorder went offline, instead of
going back to pending where another station could take it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import keystone_api.db.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(
            sa.Column("recorder_offline_at", keystone_api.db.base.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("recorder_offline_at")
