"""robot gateways: last known recorder/transfer state, task uploads

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import keystone_api.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPLOAD_STATES = ("requested", "started", "complete", "acked", "failed", "not_found", "rejected")


def upgrade() -> None:
    with op.batch_alter_table("robots") as batch:
        batch.add_column(sa.Column("recorder_task_id", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("recorder_state_at", keystone_api.db.base.UTCDateTime(), nullable=True)
        )
        batch.add_column(
            sa.Column("transfer_status_at", keystone_api.db.base.UTCDateTime(), nullable=True)
        )
    op.create_table(
        "task_uploads",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("robot_id", sa.String(length=36), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                *UPLOAD_STATES,
                name="upload_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("request_count", sa.Integer(), nullable=False),
        sa.Column("requested_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("last_event_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("started_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("completed_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("acked_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("s3_key", sa.String(length=512), nullable=True),
        sa.Column("file_size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("checksum_sha256", sa.String(length=64), nullable=True),
        sa.Column("retry_count", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["robot_id"], ["robots.id"], name=op.f("fk_task_uploads_robot_id_robots")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_uploads_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_task_uploads")),
    )
    op.create_index(op.f("ix_task_uploads_robot_id"), "task_uploads", ["robot_id"], unique=False)
    op.create_index(
        "ix_task_uploads_state_event", "task_uploads", ["state", "last_event_at"], unique=False
    )


def downgrade() -> None:
    # Dropping the table drops its indexes (MariaDB refuses to drop an index a foreign key
    # still needs, so the indexes are not dropped one by one).
    op.drop_table("task_uploads")
    with op.batch_alter_table("robots") as batch:
        batch.drop_column("transfer_status_at")
        batch.drop_column("recorder_state_at")
        batch.drop_column("recorder_task_id")
