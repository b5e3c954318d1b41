"""The Axon recorder's callback bodies, exactly (axon-protocol.md section 3).

Unknown extra fields are ignored (newer recorders may add some) but kept in the stored
body; the fields we act on are typed, so a wrong type is a 422 naming the field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from keystone_api.orders.models import TaskStatus

START_EXAMPLE: dict[str, Any] = {
    "task_id": "0193f0c2-5b7e-7c1a-9d2e-1f2a3b4c5d6e",
    "device_id": "AB-F0001-T0003-000001",
    "status": "recording",
    "started_at": "2025-12-20T10:30:00Z",
    "topics": ["/camera/image_raw", "/joint_states"],
}
FINISH_EXAMPLE: dict[str, Any] = {
    **{k: START_EXAMPLE[k] for k in ("task_id", "device_id", "started_at")},
    "status": "finished",
    "finished_at": "2025-12-20T10:35:00Z",
    "duration_sec": 300.0,
    "message_count": 152340,
    "file_size_bytes": 2147483648,
    "output_path": "/robot/local/task.mcap",
    "sidecar_path": "/robot/local/task.json",
    "sidecar_enabled": True,
    "sidecar_generated": True,
    "topics": ["/camera/image_raw"],
    "metadata": {"scene": "kitchen", "subscene": "sink", "skills": ["wash"], "factory": "F1"},
    "error": None,
}


def _utc(value: datetime) -> datetime:
    # The recorder writes UTC with a Z; a time without an offset is taken as UTC too.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _Callback(BaseModel):
    model_config = ConfigDict(extra="allow")
    task_id: str = Field(min_length=1, max_length=64)
    device_id: str = Field(min_length=1, max_length=64)
    started_at: datetime
    topics: list[str] = Field(default_factory=list, max_length=10_000)

    @field_validator("started_at")
    @classmethod
    def _started_utc(cls, value: datetime) -> datetime:
        return _utc(value)


class StartCallback(_Callback):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [START_EXAMPLE]})
    status: Literal["recording"]


class FinishCallback(_Callback):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [FINISH_EXAMPLE]})
    status: Literal["finished"]
    finished_at: datetime
    duration_sec: float = Field(ge=0)
    message_count: int = Field(ge=0)
    file_size_bytes: int = Field(ge=0)
    output_path: str = Field("", max_length=4096)
    sidecar_path: str = Field("", max_length=4096)
    sidecar_enabled: bool = True
    sidecar_generated: bool = True
    metadata: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None

    @field_validator("finished_at")
    @classmethod
    def _finished_utc(cls, value: datetime) -> datetime:
        return _utc(value)


class CallbackAck(BaseModel):
    task_id: str
    status: TaskStatus = Field(description="The task's status after this callback")
    duplicate: bool = Field(description="True when this callback had been received before")
