"""cloud sync: the edge's replica outbox, the cloud's episodes and record replicas

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import keystone_api.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = keystone_api.db.base.UTCDateTime
REPLICATED = (
    ("organizations", "organization"),
    ("orders", "order"),
    ("batches", "batch"),
    ("tasks", "task"),
)
JSON = keystone_api.db.base.JSONType


def _replica_table(name: str, *typed: sa.Column) -> None:
    """A cloud replica of an edge record: typed columns for queries + the whole record."""
    op.create_table(
        name,
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", JSON(), nullable=False),
        sa.Column("source_updated_at", UTC(), nullable=True),
        sa.Column("received_at", UTC(), nullable=False),
        sa.Column("received_from", sa.String(length=100), nullable=False),
        *typed,
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    op.create_table(
        "replica_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replica_outbox")),
    )
    # Records that exist before the outbox did still reach the cloud: queue them all once.
    for table, kind in REPLICATED:
        op.execute(
            "INSERT INTO replica_outbox (kind, record_id, version, created_at) "
            f"SELECT '{kind}', id, version, updated_at FROM {table}"
        )
    op.create_table(
        "cloud_episodes",
        sa.Column("episode_id", sa.String(length=64), nullable=False),
        sa.Column("factory_id", sa.String(length=64), nullable=False),
        sa.Column("approved_at", UTC(), nullable=False),
        sa.Column("mcap_key", sa.String(length=512), nullable=False),
        sa.Column("sidecar_key", sa.String(length=512), nullable=False),
        sa.Column("mcap_sha256", sa.String(length=64), nullable=False),
        sa.Column("sidecar_sha256", sa.String(length=64), nullable=False),
        sa.Column("mcap_size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sidecar_size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sidecar", JSON(), nullable=False),
        sa.Column("verified_by", sa.String(length=16), nullable=False),
        sa.Column("delivered_by", sa.String(length=100), nullable=False),
        sa.Column("synced_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("episode_id", name=op.f("pk_cloud_episodes")),
    )
    op.create_index(
        "ix_cloud_episodes_factory_approved", "cloud_episodes", ["factory_id", "approved_at"]
    )
    op.create_index(op.f("ix_cloud_episodes_synced_at"), "cloud_episodes", ["synced_at"])
    _replica_table("cloud_organizations", sa.Column("name", sa.String(length=200), nullable=False))
    _replica_table(
        "cloud_orders",
        sa.Column("factory_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
    )
    op.create_index(op.f("ix_cloud_orders_factory_id"), "cloud_orders", ["factory_id"])
    _replica_table(
        "cloud_batches",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
    )
    op.create_index(op.f("ix_cloud_batches_order_id"), "cloud_batches", ["order_id"])
    _replica_table(
        "cloud_tasks",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
    )
    op.create_index(op.f("ix_cloud_tasks_order_id"), "cloud_tasks", ["order_id"])
    op.create_index(op.f("ix_cloud_tasks_batch_id"), "cloud_tasks", ["batch_id"])


def downgrade() -> None:
    for table in ("cloud_tasks", "cloud_batches", "cloud_orders", "cloud_organizations"):
        op.drop_table(table)
    op.drop_index(op.f("ix_cloud_episodes_synced_at"), table_name="cloud_episodes")
    op.drop_index("ix_cloud_episodes_factory_approved", table_name="cloud_episodes")
    op.drop_table("cloud_episodes")
    op.drop_table("replica_outbox")
