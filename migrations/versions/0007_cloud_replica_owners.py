"""the factory that owns each cloud replica; sync errors that need a person

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 11:00:00

Cloud: batches and tasks get the factory that owns them (orders had it), filled from their
order's replica where the cloud has it; a replica keeps its first owner and only that
factory's sender may change it. Edge: an outbox row the cloud refused is parked with the
reason instead of being pushed forever; a failed episode waits for a person (no next
attempt) instead of being retried every few minutes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import keystone_api.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNED = ("cloud_batches", "cloud_tasks")


def upgrade() -> None:
    for table in OWNED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("factory_id", sa.String(length=64), nullable=False, server_default="")
            )
        op.create_index(op.f(f"ix_{table}_factory_id"), table, ["factory_id"], unique=False)
        # A correlated subquery, not UPDATE ... JOIN: the same statement on MariaDB and SQLite.
        op.execute(
            f"UPDATE {table} SET factory_id = COALESCE((SELECT o.factory_id FROM cloud_orders o "
            f"WHERE o.id = {table}.order_id), '')"
        )
    with op.batch_alter_table("replica_outbox") as batch:
        batch.add_column(sa.Column("refused_at", keystone_api.db.base.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("refusal", sa.Text(), nullable=True))
    op.execute("UPDATE episode_sync SET next_attempt_at = NULL WHERE state = 'failed'")


def downgrade() -> None:
    with op.batch_alter_table("replica_outbox") as batch:
        batch.drop_column("refusal")
        batch.drop_column("refused_at")
    for table in OWNED:
        op.drop_index(op.f(f"ix_{table}_factory_id"), table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("factory_id")
