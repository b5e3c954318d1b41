"""Cloud-only tables: synced episodes and the replicas of the edges' operational records.

They live on the same Base (one schema, one migration chain) but only the cloud role writes
them. No foreign keys between them: replicas arrive in any order (a task may come before
its batch), and an episode may arrive before its task's replica.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Double, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from keystone_api.db.base import Base

ID = 64  # edge ids are 36-character UUIDs; the cloud is lenient, edges may differ
TAG = 100  # a skill's name or a label


class CloudEpisode(Base):
    """An approved episode received from an edge. Never updated, never deleted."""

    __tablename__ = "cloud_episodes"
    __table_args__ = (
        Index("ix_cloud_episodes_factory_approved", "factory_id", "approved_at"),
        # The catalog lists across factories by approval time, and filters by these.
        Index("ix_cloud_episodes_approved", "approved_at"),
        Index("ix_cloud_episodes_scene_approved", "scene", "approved_at"),
        Index("ix_cloud_episodes_robot_type_approved", "robot_type", "approved_at"),
    )
    episode_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    factory_id: Mapped[str] = mapped_column(String(ID))
    approved_at: Mapped[datetime] = mapped_column()
    mcap_key: Mapped[str] = mapped_column(String(512))
    sidecar_key: Mapped[str] = mapped_column(String(512))
    mcap_sha256: Mapped[str] = mapped_column(String(64))
    sidecar_sha256: Mapped[str] = mapped_column(String(64))
    mcap_size_bytes: Mapped[int] = mapped_column(BigInteger)
    sidecar_size_bytes: Mapped[int] = mapped_column(BigInteger)
    sidecar: Mapped[dict[str, Any]] = mapped_column()
    # How the MCAP's SHA-256 was established: the store's own full-object checksum
    # ("s3-checksum", zero bytes read) or a streaming read here ("read").
    verified_by: Mapped[str] = mapped_column(String(16))
    delivered_by: Mapped[str] = mapped_column(String(100))
    synced_at: Mapped[datetime] = mapped_column(index=True)
    # The edge QA's findings on the recording (e.g. EMPTY_SCHEMA: no ROS 2 reader can decode
    # it); NULL for episodes received before the cloud kept them.
    qa_findings: Mapped[list[Any] | None] = mapped_column(default=None)
    # Where it came from and what the catalog filters on (the delivery's `catalog`; for a
    # delivery without it, what the sidecar says: catalog_facts.py). Names as the edge had
    # them when the episode was approved: the cloud has no copy of the edges' registries.
    factory_name: Mapped[str] = mapped_column(String(200), default="")
    task_id: Mapped[str | None] = mapped_column(String(ID), default=None)
    order_id: Mapped[str | None] = mapped_column(String(ID), default=None)
    batch_id: Mapped[str | None] = mapped_column(String(ID), default=None)
    workstation_id: Mapped[str | None] = mapped_column(String(ID), default=None)
    workstation: Mapped[str] = mapped_column(String(200), default="")
    robot_id: Mapped[str | None] = mapped_column(String(ID), default=None)
    device_id: Mapped[str] = mapped_column(String(200), default="")
    robot_type: Mapped[str] = mapped_column(String(200), default="")
    scene: Mapped[str] = mapped_column(String(200), default="")
    subscene: Mapped[str] = mapped_column(String(200), default="")
    qa_score: Mapped[float | None] = mapped_column(Double, default=None)
    qa_checks: Mapped[list[Any] | None] = mapped_column(default=None)


class CloudEpisodeTag(Base):
    """An episode's skills and labels, one row each, so that the catalog finds the episodes
    with a skill or label through an index on every database (SQLite has no JSON_CONTAINS)."""

    __tablename__ = "cloud_episode_tags"
    __table_args__ = (Index("ix_cloud_episode_tags_kind_value", "kind", "value", "episode_id"),)
    episode_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # skill | label
    value: Mapped[str] = mapped_column(String(TAG), primary_key=True)


class Replica:
    """A copy of an edge record: upserted by id, only ever to a higher version, and only by
    a sender allowed to write it (replicas.py: orders, batches and tasks belong to the
    factory in their `factory_id`; organizations to their own id)."""

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    # The record as the edge serialized it (every column, JSON-safe): a column the edge
    # adds later reaches the cloud without a cloud migration.
    data: Mapped[dict[str, Any]] = mapped_column()
    source_updated_at: Mapped[datetime | None] = mapped_column(default=None)
    received_at: Mapped[datetime] = mapped_column()
    received_from: Mapped[str] = mapped_column(String(100))


class CloudOrganization(Replica, Base):
    """Organization metadata only (name, description, archive time)."""

    __tablename__ = "cloud_organizations"
    name: Mapped[str] = mapped_column(String(200))


class CloudOrder(Replica, Base):
    __tablename__ = "cloud_orders"
    factory_id: Mapped[str] = mapped_column(String(ID), index=True)
    status: Mapped[str] = mapped_column(String(32))


class CloudBatch(Replica, Base):
    __tablename__ = "cloud_batches"
    # The owner: its order's factory, named by the edge in the record (batches have no
    # factory column at the edge). '' only for rows from before owners were recorded whose
    # order never reached the cloud: the first owning push claims them.
    factory_id: Mapped[str] = mapped_column(String(ID), index=True, default="")
    order_id: Mapped[str] = mapped_column(String(ID), index=True)
    status: Mapped[str] = mapped_column(String(32))


class CloudTask(Replica, Base):
    __tablename__ = "cloud_tasks"
    factory_id: Mapped[str] = mapped_column(String(ID), index=True, default="")  # as batches
    order_id: Mapped[str] = mapped_column(String(ID), index=True)
    batch_id: Mapped[str] = mapped_column(String(ID), index=True)
    status: Mapped[str] = mapped_column(String(32))


REPLICA_MODELS: dict[str, type[Replica]] = {
    "organization": CloudOrganization,
    "order": CloudOrder,
    "batch": CloudBatch,
    "task": CloudTask,
}
# The typed columns each kind fills from the record, besides the common ones.
REPLICA_COLUMNS: dict[str, tuple[str, ...]] = {
    "organization": ("name",),
    "order": ("factory_id", "status"),
    "batch": ("factory_id", "order_id", "status"),
    "task": ("factory_id", "order_id", "batch_id", "status"),
}
# Kinds owned by one factory (their `factory_id`); an organization is its own owner.
FACTORY_OWNED = frozenset({"order", "batch", "task"})
