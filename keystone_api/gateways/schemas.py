"""Shapes of the robot-facing and collector-facing gateway routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from keystone_api.common.schemas import In

TemplateName = Literal["recorder.yaml", "transfer.yaml"]
TEMPLATE_NAMES: tuple[str, ...] = ("recorder.yaml", "transfer.yaml")


class RegisterIn(BaseModel):
    """What `axon-config register` sends. Extra fields are ignored: a newer client may add
    some, and registration must not break on them."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    factory: str = Field(min_length=1, max_length=200, examples=["Factory Shanghai"])
    robot_type: str = Field(min_length=1, max_length=200, examples=["SynGloves"])


class Endpoints(BaseModel):
    recorder_rpc_url: str
    transfer_ws_url: str


class StorageOut(BaseModel):
    endpoint_url: str
    bucket: str
    region: str
    prefix: str = Field(examples=["0193f0c2-.../AB-F0001-T0003-000001/"])
    access_key: str
    secret_key: str = Field(description="Shown in this answer only; never stored by Keystone")


class RegisterOut(BaseModel):
    """Every value is a string (Axon's client flattens them into template placeholders)."""

    device_id: str = Field(examples=["AB-F0001-T0003-000001"])
    factory: str
    factory_id: str
    robot_type: str
    robot_type_id: str
    robot_id: str
    endpoints: Endpoints
    ws_client_auth_token: str = Field(description="Device token: Bearer on the recorder socket")
    storage: StorageOut = Field(
        description="The robot's own object-store key (transfer.yaml's {{ storage.* }}): it "
        "may only write under `prefix` of `bucket`"
    )


class TemplateIn(In):
    # Stored exactly as given (no stripping): the robot gets these bytes.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)
    content: str = Field(min_length=1, max_length=256 * 1024)

    @field_validator("content")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("content is blank")
        return value


class TemplateSummary(BaseModel):
    filename: str
    exists: bool
    updated_at: datetime | None = None


class TemplateOut(BaseModel):
    filename: str
    content: str
    created_at: datetime
    updated_at: datetime


class RecorderRpcIn(BaseModel):
    """Body of the recorder actions. `task_id` defaults to the task the recorder holds."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    task_id: str | None = Field(None, min_length=1, max_length=64)


class RpcResultOut(BaseModel):
    device_id: str
    action: str
    request_id: str
    success: bool
    message: str
    data: dict[str, Any] = Field(default_factory=dict)
    task_id: str | None = None
    task_status: str | None = Field(None, description="The task's status after this action")


class RecorderStateOut(BaseModel):
    device_id: str
    connected: bool
    state: str | None = Field(description="idle | ready | recording | paused (last known)")
    previous_state: str | None = None
    task_id: str | None = None
    updated_at: datetime | None = None
    transfer_connected: bool
    source: str = Field(description="live (socket open) or last_known (from the database)")
