"""cloud episodes keep the edge QA's findings on their recording

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 11:00:00

An approved recording can still carry a QA warning that matters downstream, such as
EMPTY_SCHEMA (its schemas have no message definitions: Foxglove and ROS 2 readers cannot
decode it). Edges now send their findings with each delivery; the cloud keeps them.
Episodes received before stay NULL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import keystone_api.db.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cloud_episodes") as batch:
        batch.add_column(sa.Column("qa_findings", keystone_api.db.base.JSONType(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cloud_episodes") as batch:
        batch.drop_column("qa_findings")
