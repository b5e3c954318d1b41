"""Request and response shapes of the robot fleet and workstations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from keystone_api.common.schemas import DEVICE_ID_PATTERN, Id, In, Label, Name, Out, Patch, Text
from keystone_api.fleet.models import WorkstationStatus
from keystone_api.registry.schemas import ArchivedFilter
from keystone_api.settings import get_settings

TOPIC_EXAMPLE = [
    {"name": "/joint_states", "type": "sensor_msgs/msg/JointState", "hz": 500},
    {
        "name": "/camera_head/image_raw/compressed",
        "type": "sensor_msgs/msg/CompressedImage",
        "hz": 30,
    },
]
QA_SPEC_EXAMPLE = {
    "required_topics": ["/joint_states", "/camera_head/image_raw/compressed"],
    "min_duration_s": 10,
    "max_gap_s": 0.5,
    "image_sample": 300,
}


class TopicSpec(In):
    name: str = Field(min_length=1, max_length=300, pattern=r"^/")
    type: str = Field("", max_length=200)
    hz: float | None = Field(None, gt=0, le=100_000)


class RobotTypeIn(In):
    name: Name = Field(examples=["SynGloves"], description="The model name robots register with")
    manufacturer: str = Field("", max_length=200)
    description: Text = ""
    topics: list[TopicSpec] = Field(default_factory=list, max_length=500, examples=[TOPIC_EXAMPLE])
    qa_spec: dict[str, Any] = Field(
        default_factory=dict,
        examples=[QA_SPEC_EXAMPLE],
        description="The QA spec its recordings are held to",
    )
    spot_check_share: float = Field(
        default_factory=lambda: get_settings().spot_check_share,
        ge=0,
        le=1,
        description="Share of its auto-approved episodes also sent to an inspector (0.02: "
        "2 %); default KEYSTONE_SPOT_CHECK_SHARE (0.02)",
    )


class RobotTypePatch(Patch):
    name: Name | None = None
    manufacturer: str | None = Field(None, max_length=200)
    description: Text | None = None
    topics: list[TopicSpec] | None = Field(None, max_length=500)
    qa_spec: dict[str, Any] | None = None
    spot_check_share: float | None = Field(None, ge=0, le=1)


class RobotTypeOut(Out):
    id: str
    name: str
    number: int
    manufacturer: str
    description: str
    topics: list[Any]
    qa_spec: dict[str, Any]
    spot_check_share: float
    created_at: datetime
    archived_at: datetime | None


class RobotIn(In):
    factory_id: Id
    robot_type_id: Id
    name: Label = ""
    serial_number: Label = ""
    device_id: str | None = Field(
        None,
        max_length=64,
        pattern=DEVICE_ID_PATTERN,
        description="Axon device id; assigned (AB-F0001-T0003-000001 style) when omitted",
    )


class RobotPatch(Patch):
    name: Label | None = None
    serial_number: Label | None = None
    maintenance: bool | None = Field(None, description="A robot in maintenance gets no tasks")


class RobotOut(Out):
    id: str
    factory_id: str
    robot_type_id: str
    device_id: str
    name: str
    serial_number: str
    maintenance: bool
    last_seen_at: datetime | None
    online: bool
    available: bool
    recorder_state: str | None
    recorder_connected: bool
    transfer_connected: bool
    created_at: datetime
    archived_at: datetime | None


class RobotFilters(ArchivedFilter):
    factory_id: str | None = Field(None, max_length=64)
    robot_type_id: str | None = Field(None, max_length=64)
    maintenance: bool | None = None
    device_id: str | None = Field(None, max_length=64)


class PersonIn(In):
    factory_id: Id
    name: Name = Field(examples=["Li Wei"])
    username: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.@-]+$",
        description="Create a login account for this person too",
    )
    password: str | None = Field(None, min_length=8, max_length=200)


class CollectorIn(PersonIn):
    employee_code: str = Field(min_length=1, max_length=64, examples=["C-0042"])


class PersonPatch(Patch):
    name: Name | None = None


class CollectorOut(Out):
    id: str
    factory_id: str
    name: str
    employee_code: str
    user_id: str | None
    created_at: datetime
    archived_at: datetime | None


class InspectorOut(Out):
    id: str
    factory_id: str
    name: str
    user_id: str | None
    created_at: datetime
    archived_at: datetime | None


class FactoryScopedFilters(ArchivedFilter):
    factory_id: str | None = Field(None, max_length=64)


class WorkstationIn(In):
    factory_id: Id
    name: Name = Field(examples=["WS-07"])
    robot_id: Id | None = None
    data_collector_id: Id | None = None


class WorkstationPatch(Patch):
    name: Name | None = None


class WorkstationOut(Out):
    id: str
    factory_id: str
    name: str
    robot_id: str | None
    data_collector_id: str | None
    status: WorkstationStatus
    break_started_at: datetime | None
    created_at: datetime
    archived_at: datetime | None


class WorkstationFilters(ArchivedFilter):
    factory_id: str | None = Field(None, max_length=64)
    status: WorkstationStatus | None = None
    robot_id: str | None = Field(None, max_length=64)
    data_collector_id: str | None = Field(None, max_length=64)


class PairingIn(In):
    robot_id: Id | None = Field(None, description="The robot now at this workstation (null: none)")
    data_collector_id: Id | None = Field(None, description="The collector now paired (null: none)")


class PairingOut(Out):
    id: str
    workstation_id: str
    robot_id: str | None
    data_collector_id: str | None
    started_at: datetime
    ended_at: datetime | None
    changed_by: str


class HeartbeatOut(Out):
    robot_id: str
    last_seen_at: datetime
    available: bool
