"""one head again: QA history (0013), inspection at scale (0014) and episode labels (0015)

Revision ID: 0016
Revises: 0013, 0014, 0015
Create Date: 2026-12-05 21:10:00

The three were written side by side from 0012 and touch different tables; this revision
only joins them, so `alembic upgrade head` and `keystone db upgrade` have one target.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0016"
down_revision: str | Sequence[str] | None = ("0013", "0014", "0015")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
