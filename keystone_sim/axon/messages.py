"""What the recorder says besides its answers: the callback bodies (axon-protocol.md section
3) and its validation of a task configuration (section 2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from keystone_sim.axon.content import RecordedFiles

OPTIONAL_STRINGS = [
    "data_collector_id",
    "order_id",
    "operator_name",
    "scene",
    "subscene",
    "factory",
    "start_callback_url",
    "finish_callback_url",
    "user_token",
]


def iso_s(epoch: float) -> str:
    """UTC with second precision, as the recorder writes times in its callbacks."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class CallbackSent:
    kind: str  # start | finish
    task_id: str
    status_code: int | None  # None: not sent (fault) or no answer
    error: str | None = None


def start_body(config: dict[str, Any], started: float) -> dict[str, Any]:
    return {
        "task_id": config["task_id"],
        "device_id": config["device_id"],
        "status": "recording",
        "started_at": iso_s(started),
        "topics": topic_names(config),
    }


def finish_body(
    config: dict[str, Any], files: RecordedFiles, started: float, finished: float
) -> dict[str, Any]:
    # The callback's count is taken before the queues drain: a little lower than the file's.
    shortfall = min(3, files.message_count)
    return {
        "task_id": config["task_id"],
        "device_id": config["device_id"],
        "status": "finished",
        "started_at": iso_s(started),
        "finished_at": iso_s(finished),
        "duration_sec": round(finished - started, 3),
        "message_count": files.message_count - shortfall,
        "file_size_bytes": files.size,
        "output_path": str(files.mcap),
        "sidecar_path": str(files.sidecar),
        "sidecar_enabled": True,
        "sidecar_generated": True,
        "topics": files.topics,
        "metadata": {k: config.get(k, "") for k in ("scene", "subscene", "factory")}
        | {"skills": config.get("skills") or []},
        "error": None,
    }


def topic_names(config: dict[str, Any]) -> list[str]:
    names = []
    for topic in config.get("topics") or []:
        name = topic.get("name") if isinstance(topic, dict) else topic
        if isinstance(name, str):
            names.append(name)
    return names


def validate(config: Any) -> list[dict[str, str]]:
    if not isinstance(config, dict):
        return [{"field": "task_config", "code": "required", "message": "task_config is required"}]
    errors = []
    for key in ("task_id", "device_id"):
        if not isinstance(config.get(key), str) or not config[key]:
            errors.append({"field": key, "code": "required", "message": f"{key} is required"})
    for key in OPTIONAL_STRINGS:
        if key in config and config[key] is not None and not isinstance(config[key], str):
            errors.append({"field": key, "code": "type", "message": f"{key} must be a string"})
    skills = config.get("skills")
    if skills is not None and not (
        isinstance(skills, list) and all(isinstance(s, str) for s in skills)
    ):
        errors.append({"field": "skills", "code": "type", "message": "skills must be string[]"})
    return errors
