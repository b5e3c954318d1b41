"""enrollment secrets and each robot's own object-store key

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 11:00:00

Stored transfer.yaml templates held the server's own object-store keys; each robot now gets
its own in its registration answer, so the templates' store settings become placeholders
(`{{ storage.* }}`) and no template keeps a secret.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import keystone_api.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STORE_SETTINGS = ("endpoint_url", "bucket", "region", "access_key", "secret_key")
_SETTING = re.compile(rf"^(\s+)({'|'.join(STORE_SETTINGS)}):.*$", re.M)


def upgrade() -> None:
    op.create_table(
        "enrollment_secrets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("factory_id", sa.String(length=36), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=8), nullable=False),
        sa.Column("one_time", sa.Boolean(), nullable=False),
        sa.Column("expires_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("last_used_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["factory_id"],
            ["factories.id"],
            name=op.f("fk_enrollment_secrets_factory_id_factories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment_secrets")),
        sa.UniqueConstraint("secret_sha256", name=op.f("uq_enrollment_secrets_secret_sha256")),
    )
    op.create_index(
        op.f("ix_enrollment_secrets_factory_id"), "enrollment_secrets", ["factory_id"], unique=False
    )
    with op.batch_alter_table("robots") as batch:
        batch.add_column(sa.Column("enrolled_with", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("store_access_key", sa.String(length=128), nullable=True))
        batch.create_index(batch.f("ix_robots_enrolled_with"), ["enrolled_with"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_robots_enrolled_with_enrollment_secrets"),
            "enrollment_secrets",
            ["enrolled_with"],
            ["id"],
        )
    _templates_without_secrets()


def _templates_without_secrets() -> None:
    configs = sa.table(
        "robot_type_configs",
        sa.column("id", sa.String),
        sa.column("name", sa.String),
        sa.column("content", sa.Text),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(configs.c.id, configs.c.content).where(configs.c.name == "transfer.yaml")
    ).all()
    for row_id, content in rows:
        if "{{ storage.access_key }}" in content:
            continue
        fixed = _SETTING.sub(lambda m: f'{m[1]}{m[2]}: "{{{{ storage.{m[2]} }}}}"', content)
        bind.execute(configs.update().where(configs.c.id == row_id).values(content=fixed))


def downgrade() -> None:
    with op.batch_alter_table("robots") as batch:
        batch.drop_constraint(
            batch.f("fk_robots_enrolled_with_enrollment_secrets"), type_="foreignkey"
        )
        batch.drop_index(batch.f("ix_robots_enrolled_with"))
        batch.drop_column("store_access_key")
        batch.drop_column("enrolled_with")
    op.drop_table("enrollment_secrets")  # its indexes with it
