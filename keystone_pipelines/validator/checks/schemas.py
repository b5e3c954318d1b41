"""Schemas without their definition text: a warning finding, not one of the six checks.

Axon's recorder stores a schema's ROS 2 message definition only when its config sets
`recording.schema_search_paths`; without it every schema is `ros2msg` with empty data
(axon-protocol.md section 7). Keystone's own checks do not need that text (the image check
decodes CDR by the schema's name), so such a recording is neither failed nor scored down.
But Foxglove or any generic ROS 2 reader downstream cannot decode it, so the finding rides
with the result: on the episode's QA result (inspectors) and in its delivery to the cloud.
"""

from __future__ import annotations

from keystone_pipelines.validator.reader.model import FileInfo, Finding

# Not a check name: no CheckResult reads findings of this group, so they cost no score.
GROUP = "schemas"
CODE = "EMPTY_SCHEMA"


def note_empty_schemas(info: FileInfo) -> None:
    """Add one warning naming the schemas that have an encoding but no data."""
    empty = sorted({s.name for s in info.schemas.values() if s.encoding and s.data_len == 0})
    if not empty or any(f.code == CODE for f in info.findings):
        return
    names = ", ".join(empty[:5]) + (f" (+{len(empty) - 5} more)" if len(empty) > 5 else "")
    message = (
        f"{len(empty)} schema(s) without their message definition ({names}): Foxglove and "
        "ROS 2 readers cannot decode these messages (the recorder's config lacks "
        "recording.schema_search_paths)"
    )
    # First, not last: consumers keep only the first findings of a damaged file.
    info.findings.insert(0, Finding("warning", CODE, message, GROUP))
