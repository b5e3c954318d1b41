"""Migration 0010: stored recorder.yaml templates gain `recording.schema_search_paths` (as
a YAML list), the rest of each template byte for byte as its author wrote it, and lose it
again on downgrade."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from sqlalchemy import text

from keystone_api.db import migrate
from keystone_api.db.engine import make_engine
from tests.support import mysql

# The recorder.yaml shipped before 0010, as stored for a robot type.
OLD_SHIPPED = """\
# Axon recorder, managed by Keystone for robot type Arm.
device:
  device_id: "{{ device_id }}"

subscriptions: [{"name": "/joint_states", "message_type": "sensor_msgs/msg/JointState"}]

recording:
  profile: ros2
  compression: zstd
  sidecar:
    enabled: true

rpc:
  mode: ws_client
  ws_client:
    url: "{{ recorder_rpc_url }}"
"""
NO_RECORDING = 'device:\n  device_id: "{{ device_id }}"\n'
FOUR_SPACES = "recording:\n    profile: ros2\nrpc:\n    mode: ws_client\n"
FLOW = "recording: {profile: ros2}\n"  # not a block: left for its author
ALREADY = "recording:\n  schema_search_paths: [/ws/share]\n"
TEMPLATES = {
    "old": OLD_SHIPPED,
    "none": NO_RECORDING,
    "four": FOUR_SPACES,
    "flow": FLOW,
    "already": ALREADY,
}


@pytest.fixture
def database() -> Iterator[str]:
    url = mysql.create_database("ks_m0010")
    try:
        yield url
    finally:
        mysql.drop_database(url)


def _contents(url: str) -> dict[str, str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, content FROM robot_type_configs")).all()
    finally:
        engine.dispose()
    return {row_id.removeprefix("cfg-"): content for row_id, content in rows}


def _paths(content: str) -> object:
    doc = yaml.safe_load(content.replace("{{", "").replace("}}", ""))
    return doc["recording"]["schema_search_paths"]


def test_stored_recorder_templates_gain_the_search_paths(database: str) -> None:
    migrate.upgrade(database, "0009")
    engine = make_engine(database)
    try:
        with engine.begin() as conn:
            for n, (key, content) in enumerate(TEMPLATES.items()):
                rt = f"rt-{key}"
                conn.execute(
                    text(
                        "INSERT INTO robot_types (id, name, number, manufacturer, description,"
                        " topics, qa_spec, created_at, updated_at) VALUES (:id, :name, :n, '',"
                        " '', '[]', '{}', '2026-01-01', '2026-01-01')"
                    ),
                    {"id": rt, "name": f"Arm {key}", "n": n + 1},
                )
                conn.execute(
                    text(
                        "INSERT INTO robot_type_configs (id, robot_type_id, name, content,"
                        " created_at, updated_at) VALUES (:id, :rt, 'recorder.yaml', :c,"
                        " '2026-01-01', '2026-01-01')"
                    ),
                    {"id": f"cfg-{key}", "rt": rt, "c": content},
                )
    finally:
        engine.dispose()

    migrate.upgrade(database, "0010")
    after = _contents(database)
    for key in ("old", "none", "four"):
        assert _paths(after[key]) == ["/opt/ros/humble/share"], key
    # Only lines were added: what the author wrote is all still there, in order.
    added = [line for line in after["old"].splitlines() if line not in OLD_SHIPPED.splitlines()]
    assert len(added) == 2 and added[1] == '  schema_search_paths: ["/opt/ros/humble/share"]'
    assert after["old"].index("recording:") < after["old"].index("schema_search_paths")
    assert "    schema_search_paths:" in after["four"]  # the block's own indentation
    assert after["flow"] == FLOW and after["already"] == ALREADY

    migrate.downgrade(database, "0009")
    assert _contents(database) == TEMPLATES
