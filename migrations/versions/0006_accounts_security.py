"""people's token versions and the registry of minted tokens

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 11:00:00

users.token_version: in every person's token; a password, role or activity change bumps it
and every older token is refused. api_tokens: the tool, display and service tokens minted
(their ids, never the tokens), so each is listed and revocable. Tokens minted before this
carry neither and stop working: people log in again, tools get new tokens.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import keystone_api.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default="1")
        )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("factory_id", sa.String(length=36), nullable=True),
        sa.Column("organization_id", sa.String(length=36), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", keystone_api.db.base.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", keystone_api.db.base.UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
    )
    op.create_index(
        "ix_api_tokens_factory_created", "api_tokens", ["factory_id", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("api_tokens")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_version")
