"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 08:11:47.218268
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import keystone_api.db.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("archived_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("name", name=op.f("uq_organizations_name")),
    )
    op.create_table(
        "robot_types",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("manufacturer", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("topics", keystone_api.db.base.JSONType(), nullable=False),
        sa.Column("qa_spec", keystone_api.db.base.JSONType(), nullable=False),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("archived_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_robot_types")),
        sa.UniqueConstraint("name", name=op.f("uq_robot_types_name")),
        sa.UniqueConstraint("number", name=op.f("uq_robot_types_number")),
    )
    op.create_table(
        "factories",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("archived_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_factories_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_factories")),
        sa.UniqueConstraint("name", name=op.f("uq_factories_name")),
        sa.UniqueConstraint("number", name=op.f("uq_factories_number")),
    )
    op.create_index(
        op.f("ix_factories_organization_id"), "factories", ["organization_id"], unique=False
    )
    op.create_table(
        "robot_type_configs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("robot_type_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["robot_type_id"],
            ["robot_types.id"],
            name=op.f("fk_robot_type_configs_robot_type_id_robot_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_robot_type_configs")),
        sa.UniqueConstraint(
            "robot_type_id", "name", name=op.f("uq_robot_type_configs_robot_type_id_name")
        ),
    )
    op.create_index(
        op.f("ix_robot_type_configs_robot_type_id"),
        "robot_type_configs",
        ["robot_type_id"],
        unique=False,
    )
    op.create_table(
        "skills",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("archived_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_skills_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skills")),
        sa.UniqueConstraint("organization_id", "name", name=op.f("uq_skills_organization_id_name")),
    )
    op.create_index(op.f("ix_skills_organization_id"), "skills", ["organization_id"], unique=False)
    op.create_table(
        "operations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("skill_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["skill_id"], ["skills.id"], name=op.f("fk_operations_skill_id_skills")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
        sa.UniqueConstraint("skill_id", "position", name=op.f("uq_operations_skill_id_position")),
    )
    op.create_index(op.f("ix_operations_skill_id"), "operations", ["skill_id"], unique=False)
    op.create_table(
        "robots",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("factory_id", sa.String(length=36), nullable=False),
        sa.Column("robot_type_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("serial_number", sa.String(length=200), nullable=False),
        sa.Column("maintenance", sa.Boolean(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("recorder_state", sa.String(length=32), nullable=True),
        sa.Column("recorder_connected", sa.Boolean(), nullable=False),
        sa.Column("transfer_connected", sa.Boolean(), nullable=False),
        sa.Column("transfer_status", keystone_api.db.base.JSONType(), nullable=True),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("archived_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["factory_id"], ["factories.id"], name=op.f("fk_robots_factory_id_factories")
        ),
        sa.ForeignKeyConstraint(
            ["robot_type_id"], ["robot_types.id"], name=op.f("fk_robots_robot_type_id_robot_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_robots")),
        sa.UniqueConstraint("device_id", name=op.f("uq_robots_device_id")),
    )
    op.create_index(op.f("ix_robots_factory_id"), "robots", ["factory_id"], unique=False)
    op.create_index(op.f("ix_robots_robot_type_id"), "robots", ["robot_type_id"], unique=False)
    op.create_table(
        "scenes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("factory_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("archived_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["factory_id"], ["factories.id"], name=op.f("fk_scenes_factory_id_factories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenes")),
        sa.UniqueConstraint("factory_id", "name", name=op.f("uq_scenes_factory_id_name")),
    )
    op.create_index(op.f("ix_scenes_factory_id"), "scenes", ["factory_id"], unique=False)
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "operator",
                "collector",
                "inspector",
                "robot",
                "display",
                "service",
                name="user_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("factory_id", sa.String(length=36), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_login_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["factory_id"], ["factories.id"], name=op.f("fk_users_factory_id_factories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_factory_id"), "users", ["factory_id"], unique=False)
    op.create_table(
        "data_collectors",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("factory_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("employee_code", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("archived_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["factory_id"], ["factories.id"], name=op.f("fk_data_collectors_factory_id_factories")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_data_collectors_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_collectors")),
        sa.UniqueConstraint(
            "factory_id", "employee_code", name=op.f("uq_data_collectors_factory_id_employee_code")
        ),
        sa.UniqueConstraint("user_id", name=op.f("uq_data_collectors_user_id")),
    )
    op.create_index(
        op.f("ix_data_collectors_factory_id"), "data_collectors", ["factory_id"], unique=False
    )
    op.create_table(
        "inspectors",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("factory_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("archived_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["factory_id"], ["factories.id"], name=op.f("fk_inspectors_factory_id_factories")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_inspectors_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspectors")),
        sa.UniqueConstraint("user_id", name=op.f("uq_inspectors_user_id")),
    )
    op.create_index(op.f("ix_inspectors_factory_id"), "inspectors", ["factory_id"], unique=False)
    op.create_table(
        "subscenes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("scene_id", sa.String(length=36), nullable=False),
        sa.Column("robot_type_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("qa_spec", keystone_api.db.base.JSONType(), nullable=True),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("archived_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["robot_type_id"],
            ["robot_types.id"],
            name=op.f("fk_subscenes_robot_type_id_robot_types"),
        ),
        sa.ForeignKeyConstraint(
            ["scene_id"], ["scenes.id"], name=op.f("fk_subscenes_scene_id_scenes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscenes")),
        sa.UniqueConstraint("scene_id", "name", name=op.f("uq_subscenes_scene_id_name")),
    )
    op.create_index(
        op.f("ix_subscenes_robot_type_id"), "subscenes", ["robot_type_id"], unique=False
    )
    op.create_index(op.f("ix_subscenes_scene_id"), "subscenes", ["scene_id"], unique=False)
    op.create_table(
        "sops",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("skill_id", sa.String(length=36), nullable=False),
        sa.Column("subscene_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("steps", keystone_api.db.base.JSONType(), nullable=False),
        sa.Column("qa_spec", keystone_api.db.base.JSONType(), nullable=True),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("archived_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["skill_id"], ["skills.id"], name=op.f("fk_sops_skill_id_skills")),
        sa.ForeignKeyConstraint(
            ["subscene_id"], ["subscenes.id"], name=op.f("fk_sops_subscene_id_subscenes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sops")),
        sa.UniqueConstraint(
            "skill_id",
            "subscene_id",
            "name",
            "version_number",
            name=op.f("uq_sops_skill_id_subscene_id_name_version_number"),
        ),
    )
    op.create_index(op.f("ix_sops_skill_id"), "sops", ["skill_id"], unique=False)
    op.create_index(op.f("ix_sops_subscene_id"), "sops", ["subscene_id"], unique=False)
    op.create_table(
        "subscene_skills",
        sa.Column("subscene_id", sa.String(length=36), nullable=False),
        sa.Column("skill_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["skill_id"], ["skills.id"], name=op.f("fk_subscene_skills_skill_id_skills")
        ),
        sa.ForeignKeyConstraint(
            ["subscene_id"], ["subscenes.id"], name=op.f("fk_subscene_skills_subscene_id_subscenes")
        ),
        sa.PrimaryKeyConstraint("subscene_id", "skill_id", name=op.f("pk_subscene_skills")),
    )
    op.create_index(
        op.f("ix_subscene_skills_skill_id"), "subscene_skills", ["skill_id"], unique=False
    )
    op.create_table(
        "workstations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("factory_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("robot_id", sa.String(length=36), nullable=True),
        sa.Column("data_collector_id", sa.String(length=36), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "offline",
                "idle",
                "recording",
                "on_break",
                name="workstation_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("break_started_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("archived_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["data_collector_id"],
            ["data_collectors.id"],
            name=op.f("fk_workstations_data_collector_id_data_collectors"),
        ),
        sa.ForeignKeyConstraint(
            ["factory_id"], ["factories.id"], name=op.f("fk_workstations_factory_id_factories")
        ),
        sa.ForeignKeyConstraint(
            ["robot_id"], ["robots.id"], name=op.f("fk_workstations_robot_id_robots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workstations")),
        sa.UniqueConstraint("factory_id", "name", name=op.f("uq_workstations_factory_id_name")),
        sa.UniqueConstraint("robot_id", name=op.f("uq_workstations_robot_id")),
    )
    op.create_index(
        op.f("ix_workstations_data_collector_id"),
        "workstations",
        ["data_collector_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_workstations_factory_id"), "workstations", ["factory_id"], unique=False
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("factory_id", sa.String(length=36), nullable=False),
        sa.Column("scene_id", sa.String(length=36), nullable=False),
        sa.Column("subscene_id", sa.String(length=36), nullable=False),
        sa.Column("sop_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("target_episodes", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("deadline", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "active",
                "paused",
                "completed",
                "cancelled",
                name="order_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("completed_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["factory_id"], ["factories.id"], name=op.f("fk_orders_factory_id_factories")
        ),
        sa.ForeignKeyConstraint(
            ["scene_id"], ["scenes.id"], name=op.f("fk_orders_scene_id_scenes")
        ),
        sa.ForeignKeyConstraint(["sop_id"], ["sops.id"], name=op.f("fk_orders_sop_id_sops")),
        sa.ForeignKeyConstraint(
            ["subscene_id"], ["subscenes.id"], name=op.f("fk_orders_subscene_id_subscenes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    op.create_index("ix_orders_factory_status", "orders", ["factory_id", "status"], unique=False)
    op.create_index(op.f("ix_orders_scene_id"), "orders", ["scene_id"], unique=False)
    op.create_index(op.f("ix_orders_sop_id"), "orders", ["sop_id"], unique=False)
    op.create_index(op.f("ix_orders_subscene_id"), "orders", ["subscene_id"], unique=False)
    op.create_table(
        "workstation_pairings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("workstation_id", sa.String(length=36), nullable=False),
        sa.Column("robot_id", sa.String(length=36), nullable=True),
        sa.Column("data_collector_id", sa.String(length=36), nullable=True),
        sa.Column("started_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("ended_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_collector_id"],
            ["data_collectors.id"],
            name=op.f("fk_workstation_pairings_data_collector_id_data_collectors"),
        ),
        sa.ForeignKeyConstraint(
            ["robot_id"], ["robots.id"], name=op.f("fk_workstation_pairings_robot_id_robots")
        ),
        sa.ForeignKeyConstraint(
            ["workstation_id"],
            ["workstations.id"],
            name=op.f("fk_workstation_pairings_workstation_id_workstations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workstation_pairings")),
    )
    op.create_index(
        op.f("ix_workstation_pairings_data_collector_id"),
        "workstation_pairings",
        ["data_collector_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_workstation_pairings_robot_id"), "workstation_pairings", ["robot_id"], unique=False
    )
    op.create_index(
        op.f("ix_workstation_pairings_workstation_id"),
        "workstation_pairings",
        ["workstation_id"],
        unique=False,
    )
    op.create_table(
        "batches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("workstation_id", sa.String(length=36), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "active",
                "completed",
                "cancelled",
                "recalled",
                name="batch_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("activated_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("completed_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_batches_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["workstation_id"],
            ["workstations.id"],
            name=op.f("fk_batches_workstation_id_workstations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    op.create_index(op.f("ix_batches_order_id"), "batches", ["order_id"], unique=False)
    op.create_index(
        "ix_batches_workstation_status", "batches", ["workstation_id", "status"], unique=False
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("workstation_id", sa.String(length=36), nullable=False),
        sa.Column("sop_id", sa.String(length=36), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "ready",
                "in_progress",
                "uploading",
                "completed",
                "failed",
                "cancelled",
                name="task_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("robot_id", sa.String(length=36), nullable=True),
        sa.Column("data_collector_id", sa.String(length=36), nullable=True),
        sa.Column("replaces_task_id", sa.String(length=36), nullable=True),
        sa.Column("assigned_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("started_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("finished_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("completed_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("start_callback", keystone_api.db.base.JSONType(), nullable=True),
        sa.Column("finish_callback", keystone_api.db.base.JSONType(), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_tasks_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["data_collector_id"],
            ["data_collectors.id"],
            name=op.f("fk_tasks_data_collector_id_data_collectors"),
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_tasks_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["replaces_task_id"], ["tasks.id"], name=op.f("fk_tasks_replaces_task_id_tasks")
        ),
        sa.ForeignKeyConstraint(["robot_id"], ["robots.id"], name=op.f("fk_tasks_robot_id_robots")),
        sa.ForeignKeyConstraint(["sop_id"], ["sops.id"], name=op.f("fk_tasks_sop_id_sops")),
        sa.ForeignKeyConstraint(
            ["workstation_id"],
            ["workstations.id"],
            name=op.f("fk_tasks_workstation_id_workstations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    op.create_index("ix_tasks_batch_status", "tasks", ["batch_id", "status"], unique=False)
    op.create_index(
        op.f("ix_tasks_data_collector_id"), "tasks", ["data_collector_id"], unique=False
    )
    op.create_index("ix_tasks_order_status", "tasks", ["order_id", "status"], unique=False)
    op.create_index(op.f("ix_tasks_robot_id"), "tasks", ["robot_id"], unique=False)
    op.create_index(op.f("ix_tasks_sop_id"), "tasks", ["sop_id"], unique=False)
    op.create_index("ix_tasks_status_updated", "tasks", ["status", "updated_at"], unique=False)
    op.create_index(
        "ix_tasks_workstation_status", "tasks", ["workstation_id", "status"], unique=False
    )
    op.create_table(
        "episodes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("factory_id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("workstation_id", sa.String(length=36), nullable=False),
        sa.Column("robot_id", sa.String(length=36), nullable=True),
        sa.Column("data_collector_id", sa.String(length=36), nullable=True),
        sa.Column("scene_id", sa.String(length=36), nullable=False),
        sa.Column("subscene_id", sa.String(length=36), nullable=False),
        sa.Column("sop_id", sa.String(length=36), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending_qa",
                "auto_approved",
                "needs_inspection",
                "inspector_approved",
                "rejected",
                name="episode_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("bucket", sa.String(length=63), nullable=False),
        sa.Column("mcap_key", sa.String(length=512), nullable=False),
        sa.Column("sidecar_key", sa.String(length=512), nullable=True),
        sa.Column("mcap_size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sidecar_size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("checksum_sha256", sa.String(length=64), nullable=True),
        sa.Column("sidecar_sha256", sa.String(length=64), nullable=True),
        sa.Column("sidecar", keystone_api.db.base.JSONType(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("message_count", sa.BigInteger(), nullable=True),
        sa.Column("recording_started_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("recording_finished_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("landed_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("registered_by", sa.String(length=100), nullable=False),
        sa.Column("qa_score", sa.Float(), nullable=True),
        sa.Column("qa_passed", sa.Boolean(), nullable=True),
        sa.Column("qa_result", keystone_api.db.base.JSONType(), nullable=True),
        sa.Column("qa_assessed_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("validator_version", sa.String(length=32), nullable=True),
        sa.Column("formula_version", sa.String(length=32), nullable=True),
        sa.Column("qa_claim_token", sa.String(length=64), nullable=True),
        sa.Column("qa_claimed_until", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("qa_attempts", sa.Integer(), nullable=False),
        sa.Column("evidence_keys", keystone_api.db.base.JSONType(), nullable=False),
        sa.Column("approved_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("recalled", sa.Boolean(), nullable=False),
        sa.Column("labels", keystone_api.db.base.JSONType(), nullable=False),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_episodes_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["data_collector_id"],
            ["data_collectors.id"],
            name=op.f("fk_episodes_data_collector_id_data_collectors"),
        ),
        sa.ForeignKeyConstraint(
            ["factory_id"], ["factories.id"], name=op.f("fk_episodes_factory_id_factories")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_episodes_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["robot_id"], ["robots.id"], name=op.f("fk_episodes_robot_id_robots")
        ),
        sa.ForeignKeyConstraint(
            ["scene_id"], ["scenes.id"], name=op.f("fk_episodes_scene_id_scenes")
        ),
        sa.ForeignKeyConstraint(["sop_id"], ["sops.id"], name=op.f("fk_episodes_sop_id_sops")),
        sa.ForeignKeyConstraint(
            ["subscene_id"], ["subscenes.id"], name=op.f("fk_episodes_subscene_id_subscenes")
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_episodes_task_id_tasks")),
        sa.ForeignKeyConstraint(
            ["workstation_id"],
            ["workstations.id"],
            name=op.f("fk_episodes_workstation_id_workstations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episodes")),
        sa.UniqueConstraint("task_id", name=op.f("uq_episodes_task_id")),
    )
    op.create_index(op.f("ix_episodes_batch_id"), "episodes", ["batch_id"], unique=False)
    op.create_index(
        op.f("ix_episodes_data_collector_id"), "episodes", ["data_collector_id"], unique=False
    )
    op.create_index(
        "ix_episodes_factory_landed", "episodes", ["factory_id", "landed_at"], unique=False
    )
    op.create_index("ix_episodes_order_status", "episodes", ["order_id", "status"], unique=False)
    op.create_index(op.f("ix_episodes_robot_id"), "episodes", ["robot_id"], unique=False)
    op.create_index(op.f("ix_episodes_scene_id"), "episodes", ["scene_id"], unique=False)
    op.create_index(op.f("ix_episodes_sop_id"), "episodes", ["sop_id"], unique=False)
    op.create_index(
        "ix_episodes_status_approved", "episodes", ["status", "approved_at"], unique=False
    )
    op.create_index("ix_episodes_status_landed", "episodes", ["status", "landed_at"], unique=False)
    op.create_index(op.f("ix_episodes_subscene_id"), "episodes", ["subscene_id"], unique=False)
    op.create_index(
        op.f("ix_episodes_workstation_id"), "episodes", ["workstation_id"], unique=False
    )
    op.create_table(
        "task_transitions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("cause", sa.String(length=500), nullable=False),
        sa.Column("at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_transitions_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_transitions")),
    )
    op.create_index(
        op.f("ix_task_transitions_task_id"), "task_transitions", ["task_id"], unique=False
    )
    op.create_table(
        "episode_status_history",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("episode_id", sa.String(length=36), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("cause", sa.String(length=500), nullable=False),
        sa.Column("at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["episodes.id"],
            name=op.f("fk_episode_status_history_episode_id_episodes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episode_status_history")),
    )
    op.create_index(
        op.f("ix_episode_status_history_at"), "episode_status_history", ["at"], unique=False
    )
    op.create_index(
        op.f("ix_episode_status_history_episode_id"),
        "episode_status_history",
        ["episode_id"],
        unique=False,
    )
    op.create_table(
        "episode_sync",
        sa.Column("episode_id", sa.String(length=36), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "waiting",
                "queued",
                "uploading",
                "synced",
                "failed",
                name="sync_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("approved_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("bytes_sent", sa.BigInteger(), nullable=False),
        sa.Column("bytes_total", sa.BigInteger(), nullable=False),
        sa.Column("multipart_upload_id", sa.String(length=255), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("synced_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("cloud_mcap_sha256", sa.String(length=64), nullable=True),
        sa.Column("cloud_sidecar_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"], ["episodes.id"], name=op.f("fk_episode_sync_episode_id_episodes")
        ),
        sa.PrimaryKeyConstraint("episode_id", name=op.f("pk_episode_sync")),
    )
    op.create_index(
        "ix_episode_sync_state_approved", "episode_sync", ["state", "approved_at"], unique=False
    )
    op.create_table(
        "inspection_decisions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("episode_id", sa.String(length=36), nullable=False),
        sa.Column("inspector_user_id", sa.String(length=36), nullable=True),
        sa.Column("inspector_name", sa.String(length=200), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("decided_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["episodes.id"],
            name=op.f("fk_inspection_decisions_episode_id_episodes"),
        ),
        sa.ForeignKeyConstraint(
            ["inspector_user_id"],
            ["users.id"],
            name=op.f("fk_inspection_decisions_inspector_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_decisions")),
    )
    op.create_index(
        op.f("ix_inspection_decisions_decided_at"),
        "inspection_decisions",
        ["decided_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_inspection_decisions_episode_id"),
        "inspection_decisions",
        ["episode_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_inspection_decisions_inspector_user_id"),
        "inspection_decisions",
        ["inspector_user_id"],
        unique=False,
    )
    op.create_table(
        "qa_checks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("episode_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("data", keystone_api.db.base.JSONType(), nullable=False),
        sa.Column("validator_version", sa.String(length=32), nullable=False),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"], ["episodes.id"], name=op.f("fk_qa_checks_episode_id_episodes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_checks")),
        sa.UniqueConstraint("episode_id", "name", name=op.f("uq_qa_checks_episode_id_name")),
    )
    op.create_index(op.f("ix_qa_checks_episode_id"), "qa_checks", ["episode_id"], unique=False)
    op.create_table(
        "sync_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("episode_id", sa.String(length=36), nullable=False),
        sa.Column("at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("bytes_sent", sa.BigInteger(), nullable=False),
        sa.Column("duration_s", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["episode_id"], ["episodes.id"], name=op.f("fk_sync_attempts_episode_id_episodes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_attempts")),
    )
    op.create_index(
        op.f("ix_sync_attempts_episode_id"), "sync_attempts", ["episode_id"], unique=False
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; MariaDB refuses to drop an index that a
    # foreign key still needs, so only tables are dropped, children first.
    op.drop_table("sync_attempts")
    op.drop_table("qa_checks")
    op.drop_table("inspection_decisions")
    op.drop_table("episode_sync")
    op.drop_table("episode_status_history")
    op.drop_table("task_transitions")
    op.drop_table("episodes")
    op.drop_table("tasks")
    op.drop_table("batches")
    op.drop_table("workstation_pairings")
    op.drop_table("orders")
    op.drop_table("workstations")
    op.drop_table("subscene_skills")
    op.drop_table("sops")
    op.drop_table("subscenes")
    op.drop_table("inspectors")
    op.drop_table("data_collectors")
    op.drop_table("users")
    op.drop_table("scenes")
    op.drop_table("robots")
    op.drop_table("operations")
    op.drop_table("skills")
    op.drop_table("robot_type_configs")
    op.drop_table("factories")
    op.drop_table("robot_types")
    op.drop_table("organizations")
