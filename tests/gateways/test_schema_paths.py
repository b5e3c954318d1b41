"""recorder.yaml sets `recording.schema_search_paths` (a YAML list), so the real recorder
stores each schema's message definition and other tools can read the recordings
(axon-protocol.md section 7): shipped by default, chosen per robot type, and required of
any recorder.yaml an admin stores."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from keystone_api.errors import Invalid
from keystone_sim.axon import register
from tests.gateways.harness import Site


def _paths(content: str) -> Any:
    filled = content.replace("{{", "").replace("}}", "")  # placeholders as plain text
    return yaml.safe_load(filled)["recording"]["schema_search_paths"]


def test_shipped_recorder_template_searches_the_ros_share_directory(db) -> None:  # type: ignore[no-untyped-def]
    from keystone_api.gateways.demo import ensure_demo_robot_type
    from keystone_api.gateways.templates import find_template

    robot_type = ensure_demo_robot_type(db)
    recorder = find_template(db, robot_type.id, "recorder.yaml").content
    assert _paths(recorder) == ["/opt/ros/humble/share"]


def test_a_recorder_template_without_a_search_path_list_is_refused(db) -> None:  # type: ignore[no-untyped-def]
    from keystone_api.gateways.demo import ensure_demo_robot_type
    from keystone_api.gateways.templates import find_template, upsert_template

    robot_type = ensure_demo_robot_type(db)
    shipped = find_template(db, robot_type.id, "recorder.yaml").content
    line = '  schema_search_paths: ["/opt/ros/humble/share"]\n'
    assert line in shipped
    cases = {
        "missing": shipped.replace(line, ""),
        "a string": shipped.replace(line, "  schema_search_paths: /opt/ros/humble/share\n"),
        "empty": shipped.replace(line, "  schema_search_paths: []\n"),
    }
    for name, content in cases.items():
        with pytest.raises(Invalid) as info:
            upsert_template(db, robot_type.id, "recorder.yaml", content)
        assert "schema_search_paths" in str(info.value), name
    block = "  schema_search_paths:\n    - /opt/ros/jazzy/share\n    - /ws/install/share\n"
    upsert_template(db, robot_type.id, "recorder.yaml", shipped.replace(line, block))
    stored = find_template(db, robot_type.id, "recorder.yaml").content
    assert _paths(stored) == ["/opt/ros/jazzy/share", "/ws/install/share"]
    # transfer.yaml has no such key, and is not asked for one.
    upsert_template(db, robot_type.id, "transfer.yaml", 'device_id: "{{ device_id }}"\n')


@pytest.mark.anyio
async def test_a_robot_type_chooses_its_paths_and_robots_get_them(site: Site) -> None:
    rt = site.world.robot_type_id
    path = f"/api/v1/robot_types/{rt}/config_templates/defaults"
    stored = f"/api/v1/robot_types/{rt}/config_templates/recorder.yaml"
    # Installed without overwrite, existing templates are kept.
    await site.call("POST", path, params={"ros_distro": "jazzy"})
    assert _paths((await site.call("GET", stored))["content"]) == ["/opt/ros/humble/share"]

    await site.call("POST", path, params={"ros_distro": "jazzy", "overwrite": "true"})
    assert _paths((await site.call("GET", stored))["content"]) == ["/opt/ros/jazzy/share"]
    # A robot registering now gets the list in its rendered recorder.yaml.
    reg = await register(site.http, site.enroll_url, site.factory, site.robot_type)
    assert reg.recorder_config()["recording"]["schema_search_paths"] == ["/opt/ros/jazzy/share"]

    own = ["/opt/ros/jazzy/share", "/home/robot/ws/install/share"]
    params: dict[str, Any] = {"overwrite": "true", "schema_search_paths": own}
    await site.call("POST", path, params=params)
    assert _paths((await site.call("GET", stored))["content"]) == own

    bad = await site.call("POST", path, expect=422, params={"ros_distro": "Humble 2"})
    assert bad["error"]["code"]
    relative = {"overwrite": "true", "schema_search_paths": ["install/share"]}
    bad = await site.call("POST", path, expect=422, params=relative)
    assert "absolute" in bad["error"]["message"]
    assert _paths((await site.call("GET", stored))["content"]) == own  # nothing changed
