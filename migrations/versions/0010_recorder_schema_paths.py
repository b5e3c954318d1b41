"""stored recorder.yaml templates set recording.schema_search_paths

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 10:00:00

The shipped recorder.yaml left out `recording.schema_search_paths`, so the real recorder
wrote every schema with empty text and no ROS 2 reader (Foxglove) could decode the files
(axon-protocol.md section 7). Stored templates that lack the key get it, as a YAML list
under their `recording:` block: ROS 2 Humble's share directory, the shipped default (an
admin changes it per robot type like any other line). A template whose `recording` is not
a block mapping is left as it is (it cannot be edited line by line without losing what its
author wrote); saving it again through the API then asks for the key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
import yaml
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PATHS = '["/opt/ros/humble/share"]'
COMMENT = "# Added by migration 0010: the recorder stores each schema's .msg text from here."
_RECORDING = re.compile(r"^recording:[ \t]*(#.*)?$", re.M)
_CHILD = re.compile(r"^([ \t]+)\S", re.M)
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)


def _configs() -> sa.TableClause:
    return sa.table(
        "robot_type_configs",
        sa.column("id", sa.String),
        sa.column("name", sa.String),
        sa.column("content", sa.Text),
    )


def _paths_of(content: str) -> object:
    try:
        doc = yaml.safe_load(_PLACEHOLDER.sub("x", content))
    except yaml.YAMLError:
        return None
    recording = doc.get("recording") if isinstance(doc, dict) else None
    return recording.get("schema_search_paths") if isinstance(recording, dict) else None


def with_search_paths(content: str) -> str | None:
    """`content` with the key inserted as the first entry of its `recording:` block (or a
    new block at the end when it has none); None when it cannot be done safely."""
    if "schema_search_paths" in content:
        return None
    found = _RECORDING.search(content)
    if found is None:
        if re.search(r"^recording\s*:", content, re.M):
            return None  # a flow mapping or an odd spelling: not ours to rewrite
        sep = "" if content.endswith("\n") else "\n"
        fixed = f"{content}{sep}\n{COMMENT}\nrecording:\n  schema_search_paths: {PATHS}\n"
    else:
        if found.end() == len(content):
            content += "\n"
        child = _CHILD.match(content, found.end() + 1)
        indent = child.group(1) if child else "  "
        line = f"{indent}{COMMENT}\n{indent}schema_search_paths: {PATHS}\n"
        at = found.end() + 1
        fixed = content[:at] + line + content[at:]
    return fixed if isinstance(_paths_of(fixed), list) else None


def upgrade() -> None:
    configs = _configs()
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(configs.c.id, configs.c.content).where(configs.c.name == "recorder.yaml")
    ).all()
    for row_id, content in rows:
        fixed = with_search_paths(content)
        if fixed is not None:
            bind.execute(configs.update().where(configs.c.id == row_id).values(content=fixed))


def downgrade() -> None:
    configs = _configs()
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(configs.c.id, configs.c.content).where(configs.c.name == "recorder.yaml")
    ).all()
    added = re.compile(
        rf"^[ \t]*{re.escape(COMMENT)}\n[ \t]*schema_search_paths: {re.escape(PATHS)}\n", re.M
    )
    block = f"\n{COMMENT}\nrecording:\n  schema_search_paths: {PATHS}\n"
    for row_id, content in rows:
        restored = content.replace(block, "") if block in content else added.sub("", content)
        if restored != content:
            bind.execute(configs.update().where(configs.c.id == row_id).values(content=restored))
