"""`recording.schema_search_paths` of recorder.yaml: where the Axon recorder reads each
topic's ROS message definition (`<path>/<package>/msg/<Type>.msg`) to store it as the
MCAP schema's text.

Without it the recorder writes every schema with empty data ("MCAP will have empty schema
data"), and Foxglove or any generic ROS 2 reader cannot decode the file downstream
(axon-protocol.md section 7). The recorder reads the key only as a YAML list: a single
string is silently ignored, with the same empty schemas. So every stored recorder.yaml
must carry it as a list.

A robot type chooses its paths when its shipped templates are installed: by default the
share directory of its ROS distribution (`/opt/ros/humble/share`), or its own list (a
workspace's `install/share` for custom messages, say); an admin can edit the stored
template afterwards like any other line.
"""

from __future__ import annotations

import re
from typing import Any

from keystone_api.errors import Invalid

KEY = "recording.schema_search_paths"
DEFAULT_ROS_DISTRO = "humble"
# ROS 2 distribution names: lowercase words (humble, iron, jazzy, rolling).
DISTRO_PATTERN = r"^[a-z][a-z0-9_]{1,31}$"


def share_dir(ros_distro: str = DEFAULT_ROS_DISTRO) -> str:
    """Where a ROS 2 distribution installed from packages keeps its .msg files."""
    if not re.fullmatch(DISTRO_PATTERN, ros_distro):
        raise Invalid(f"ros_distro: not a ROS distribution name: {ros_distro!r}")
    return f"/opt/ros/{ros_distro}/share"


def search_paths(ros_distro: str = DEFAULT_ROS_DISTRO, paths: list[str] | None = None) -> list[str]:
    """The list a robot type's recorder.yaml gets: `paths` when given, else its
    distribution's share directory."""
    if not paths:
        return [share_dir(ros_distro)]
    for path in paths:
        # Absolute: the recorder's working directory is not ours to know. No placeholder
        # braces: axon-config would try to fill them on the robot.
        odd = "{{" in path or "}}" in path or any(ord(c) < 32 for c in path)
        if not path.startswith("/") or odd:
            raise Invalid(f"schema_search_paths: not an absolute directory path: {path!r}")
    return list(dict.fromkeys(paths))


def check_recorder_config(doc: Any) -> None:
    """Refuse a recorder.yaml (parsed, placeholders filled) whose recordings would carry
    empty schemas: the key missing, or not a list of non-empty strings."""
    recording = doc.get("recording") if isinstance(doc, dict) else None
    value = recording.get("schema_search_paths") if isinstance(recording, dict) else None
    if value is None:
        raise Invalid(
            f"content: recorder.yaml must set {KEY} (e.g. [/opt/ros/humble/share]): "
            "without it the recorder writes every schema empty and no ROS 2 reader can "
            "decode the recordings",
            {"missing": KEY},
        )
    if not isinstance(value, list) or not value:
        raise Invalid(
            f"content: {KEY} must be a non-empty YAML list (the recorder ignores "
            f"{type(value).__name__} values and then writes empty schemas)",
            {"invalid": KEY},
        )
    if not all(isinstance(p, str) and p.strip() for p in value):
        raise Invalid(f"content: {KEY} must list directory paths", {"invalid": KEY})
