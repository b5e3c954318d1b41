"""scores and durations as DOUBLE

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:40:00

FLOAT columns became DOUBLE in any process that imports dagster_mysql (it recompiles
every Float as FLOAT(32)), so the schema depended on who ran the migration. DOUBLE is
what we want for scores and durations anyway.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    ("episodes", "duration_s", True),
    ("episodes", "qa_score", True),
    ("qa_checks", "score", False),
]


def upgrade() -> None:
    for table, column, nullable in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.Double(), existing_nullable=nullable)


def downgrade() -> None:
    for table, column, nullable in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.Float(), existing_nullable=nullable)
