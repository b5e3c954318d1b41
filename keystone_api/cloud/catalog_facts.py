"""What the catalog knows of a received episode: the delivery's `catalog` facts, or, from an
edge that does not send them yet, what the recorder's sidecar says (the protocol's `task`
and `device` blocks: scene, subscene, skills, task, order, device)."""

from __future__ import annotations

from typing import Any

from keystone_api.cloud.models import TAG, CloudEpisode, CloudEpisodeTag
from keystone_api.cloud.schemas import CatalogFacts

SKILL, LABEL = "skill", "label"
# Where an episode came from, as the facts and the cloud's columns name it.
ORIGIN = (
    "factory_name",
    "task_id",
    "order_id",
    "batch_id",
    "workstation_id",
    "workstation",
    "robot_id",
    "device_id",
)


def _text(value: Any, limit: int = 200) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _block(doc: dict[str, Any], name: str) -> dict[str, Any]:
    value = doc.get(name)
    return value if isinstance(value, dict) else {}


def from_sidecar(sidecar: dict[str, Any]) -> CatalogFacts:
    task, device = _block(sidecar, "task"), _block(sidecar, "device")
    skills = task.get("skills")
    skills = skills if isinstance(skills, list) else []
    return CatalogFacts(
        factory_name=_text(task.get("factory")),
        task_id=_text(task.get("task_id"), 64) or None,
        order_id=_text(task.get("order_id"), 64) or None,
        device_id=_text(device.get("device_id")),
        scene=_text(task.get("scene")),
        subscene=_text(task.get("subscene")),
        skills=[s[:TAG] for s in skills if isinstance(s, str) and s][:50],
    )


def apply_facts(row: CloudEpisode, facts: CatalogFacts | None) -> list[CloudEpisodeTag]:
    """Fill the row's catalog columns; returns its skill and label rows to add with it."""
    facts = facts if facts is not None else from_sidecar(row.sidecar)
    for name in (*ORIGIN, "robot_type", "scene", "subscene", "qa_score"):
        setattr(row, name, getattr(facts, name))
    row.qa_checks = [c.model_dump() for c in facts.qa_checks] if facts.qa_checks else None
    # One row per tag as MariaDB's case-insensitive collation compares them ("Wash" and
    # "wash" are one key there).
    tags: dict[tuple[str, str], str] = {}
    for kind, values in ((SKILL, facts.skills), (LABEL, facts.labels)):
        for value in values:
            if value.strip():
                tags.setdefault((kind, value.strip().casefold()), value.strip())
    return [
        CloudEpisodeTag(episode_id=row.episode_id, kind=kind, value=value)
        for (kind, _), value in sorted(tags.items())
    ]
