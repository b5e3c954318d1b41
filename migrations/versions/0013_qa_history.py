"""QA history: assessments kept, robot types' QA spec versions, re-assessment requests

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 20:40:00

qa_assessments keeps every QA assessment of an episode (the episode's qa_* columns stay the
latest applied one's copy); qa_spec_versions numbers each robot type's QA spec (version 1 is
the spec it has now); qa_reassess_requests and qa_reassess_marks hold who asked for a
re-assessment, why, and the episodes waiting for it. Episodes assessed before this revision
have no history row: their columns are their record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import keystone_api.db.base
from keystone_api.ids import new_id

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=36)
JSON = keystone_api.db.base.JSONType
AT = keystone_api.db.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "qa_spec_versions",
        sa.Column("id", ID, nullable=False),
        sa.Column("robot_type_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("spec", JSON(), nullable=False),
        sa.Column("spec_digest", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", AT(), nullable=False),
        sa.ForeignKeyConstraint(
            ["robot_type_id"],
            ["robot_types.id"],
            name=op.f("fk_qa_spec_versions_robot_type_id_robot_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_spec_versions")),
        sa.UniqueConstraint(
            "robot_type_id", "version", name=op.f("uq_qa_spec_versions_robot_type_id_version")
        ),
    )
    op.create_index(
        op.f("ix_qa_spec_versions_robot_type_id"), "qa_spec_versions", ["robot_type_id"]
    )
    op.create_table(
        "qa_reassess_requests",
        sa.Column("id", ID, nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("override_inspector", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("filters", JSON(), nullable=False),
        sa.Column("marked", sa.Integer(), nullable=False),
        sa.Column("created_at", AT(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_reassess_requests")),
    )
    op.create_index(
        op.f("ix_qa_reassess_requests_created_at"), "qa_reassess_requests", ["created_at"]
    )
    op.create_table(
        "qa_reassess_marks",
        sa.Column("episode_id", ID, nullable=False),
        sa.Column("request_id", ID, nullable=False),
        sa.Column("marked_at", AT(), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"], ["episodes.id"], name=op.f("fk_qa_reassess_marks_episode_id_episodes")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["qa_reassess_requests.id"],
            name=op.f("fk_qa_reassess_marks_request_id_qa_reassess_requests"),
        ),
        sa.PrimaryKeyConstraint("episode_id", name=op.f("pk_qa_reassess_marks")),
    )
    op.create_index(op.f("ix_qa_reassess_marks_request_id"), "qa_reassess_marks", ["request_id"])
    op.create_table(
        "qa_assessments",
        sa.Column("id", ID, nullable=False),
        sa.Column("episode_id", ID, nullable=False),
        sa.Column("assessed_at", AT(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("decided_status", sa.String(length=32), nullable=False),
        sa.Column("status_before", sa.String(length=32), nullable=False),
        sa.Column("status_after", sa.String(length=32), nullable=False),
        sa.Column("held", sa.String(length=32), nullable=True),
        sa.Column("checks", JSON(), nullable=False),
        sa.Column("findings", JSON(), nullable=False),
        sa.Column("spec_version_id", ID, nullable=True),
        sa.Column("spec_version", sa.Integer(), nullable=True),
        sa.Column("spec_digest", sa.String(length=64), nullable=False),
        sa.Column("validator_version", sa.String(length=32), nullable=False),
        sa.Column("formula_version", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("request_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["episode_id"], ["episodes.id"], name=op.f("fk_qa_assessments_episode_id_episodes")
        ),
        sa.ForeignKeyConstraint(
            ["spec_version_id"],
            ["qa_spec_versions.id"],
            name=op.f("fk_qa_assessments_spec_version_id_qa_spec_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["qa_reassess_requests.id"],
            name=op.f("fk_qa_assessments_request_id_qa_reassess_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_assessments")),
    )
    op.create_index("ix_qa_assessments_episode_at", "qa_assessments", ["episode_id", "assessed_at"])
    op.create_index(
        op.f("ix_qa_assessments_spec_version_id"), "qa_assessments", ["spec_version_id"]
    )
    op.create_index(op.f("ix_qa_assessments_request_id"), "qa_assessments", ["request_id"])
    _first_versions()


def _first_versions() -> None:
    """Version 1 of every robot type's QA spec: the spec it has now."""
    bind = op.get_bind()
    versions = sa.table(
        "qa_spec_versions",
        sa.column("id", ID),
        sa.column("robot_type_id", ID),
        sa.column("version", sa.Integer()),
        sa.column("spec", JSON()),
        sa.column("spec_digest", sa.String()),
        sa.column("created_by", sa.String()),
        sa.column("created_at", AT()),
    )
    types = sa.table("robot_types", sa.column("id", ID), sa.column("qa_spec", JSON()))
    now = datetime.now(UTC)
    rows = []
    for type_id, spec in bind.execute(sa.select(types.c.id, types.c.qa_spec)):
        spec = spec or {}
        digest = hashlib.sha256(
            json.dumps(spec, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        rows.append(
            {
                "id": new_id(),
                "robot_type_id": type_id,
                "version": 1,
                "spec": spec,
                "spec_digest": digest,
                "created_by": "migration 0013",
                "created_at": now,
            }
        )
    if rows:
        op.bulk_insert(versions, rows)


def downgrade() -> None:
    op.drop_table("qa_assessments")
    op.drop_table("qa_reassess_marks")
    op.drop_table("qa_reassess_requests")
    op.drop_table("qa_spec_versions")
