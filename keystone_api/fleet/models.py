"""Robot fleet and workstations: robot types, robots, people at the stations, pairings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Double, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from keystone_api.db.base import (
    Archivable,
    Base,
    Timestamps,
    enum_column_type,
    fk,
    id_column,
    utcnow,
)

# A robot that sent a heartbeat (or any request) this recently counts as online.
HEARTBEAT_WINDOW_S = 90


def _default_spot_check_share() -> float:
    from keystone_api.settings import get_settings

    return get_settings().spot_check_share


class RobotType(Timestamps, Archivable, Base):
    """A robot model: the ROS topics it records and the QA spec its recordings meet."""

    __tablename__ = "robot_types"
    id: Mapped[str] = id_column()
    # Axon registers by robot type model name, so names are unique.
    name: Mapped[str] = mapped_column(String(200), unique=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    manufacturer: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # [{"name": "/joint_states", "type": "sensor_msgs/msg/JointState", "hz": 500}, ...]
    topics: Mapped[list[Any]] = mapped_column(default=list)
    qa_spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The share of its auto-approved episodes an inspector also sees (spot checks).
    # Rows made without the API (seeds, scripts) take the setting too, not a fixed 2 %.
    spot_check_share: Mapped[float] = mapped_column(
        Double, default=lambda: _default_spot_check_share(), server_default="0.02"
    )


class RobotTypeConfig(Timestamps, Base):
    """Config templates (recorder.yaml, transfer.yaml) served raw to registering robots."""

    __tablename__ = "robot_type_configs"
    __table_args__ = (UniqueConstraint("robot_type_id", "name"),)
    id: Mapped[str] = id_column()
    robot_type_id: Mapped[str] = fk("robot_types.id", index=True)
    name: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)


class Robot(Timestamps, Archivable, Base):
    __tablename__ = "robots"
    id: Mapped[str] = id_column()
    factory_id: Mapped[str] = fk("factories.id", index=True)
    robot_type_id: Mapped[str] = fk("robot_types.id", index=True)
    # The Axon device id (AB-F0001-T0003-000001); object keys and the recorder URL carry it.
    device_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    serial_number: Mapped[str] = mapped_column(String(200), default="")
    maintenance: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped to revoke every device token issued before (admin token rotation).
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    # The enrollment secret it registered with (NULL: created by an admin), and the access
    # key id of its own object-store identity (NULL: none issued, or revoked).
    enrolled_with: Mapped[str | None] = fk("enrollment_secrets.id", default=None, index=True)
    store_access_key: Mapped[str | None] = mapped_column(String(128), default=None)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    recorder_state: Mapped[str | None] = mapped_column(String(32), default=None)
    recorder_connected: Mapped[bool] = mapped_column(Boolean, default=False)
    transfer_connected: Mapped[bool] = mapped_column(Boolean, default=False)
    transfer_status: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # Last known recorder task and when each socket last reported (kept across restarts).
    recorder_task_id: Mapped[str | None] = mapped_column(String(64), default=None)
    recorder_state_at: Mapped[datetime | None] = mapped_column(default=None)
    transfer_status_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def online(self) -> bool:
        """Connected now, or heard from within the heartbeat window."""
        if self.recorder_connected or self.transfer_connected:
            return True
        if self.last_seen_at is None:
            return False
        return (utcnow() - self.last_seen_at).total_seconds() <= HEARTBEAT_WINDOW_S

    @property
    def available(self) -> bool:
        return self.is_available(self.online, self.maintenance, self.archived_at)

    @staticmethod
    def is_available(online: bool, maintenance: bool, archived_at: datetime | None) -> bool:
        """The rule, also for callers holding a row's columns rather than a Robot."""
        return online and not maintenance and archived_at is None


class DataCollector(Timestamps, Archivable, Base):
    """A person who teleoperates a robot at a workstation."""

    __tablename__ = "data_collectors"
    __table_args__ = (UniqueConstraint("factory_id", "employee_code"),)
    id: Mapped[str] = id_column()
    factory_id: Mapped[str] = fk("factories.id", index=True)
    name: Mapped[str] = mapped_column(String(200))
    employee_code: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = fk("users.id", default=None, unique=True)


class Inspector(Timestamps, Archivable, Base):
    """A person who resolves episodes flagged by QA."""

    __tablename__ = "inspectors"
    id: Mapped[str] = id_column()
    factory_id: Mapped[str] = fk("factories.id", index=True)
    name: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str | None] = fk("users.id", default=None, unique=True)


class WorkstationStatus(StrEnum):
    offline = "offline"  # nobody logged in
    idle = "idle"  # collector present, no task open
    recording = "recording"  # a task is open
    on_break = "on_break"


class Workstation(Timestamps, Archivable, Base):
    """One robot and its human collector; batches of tasks are assigned to it."""

    __tablename__ = "workstations"
    __table_args__ = (UniqueConstraint("factory_id", "name"),)
    id: Mapped[str] = id_column()
    factory_id: Mapped[str] = fk("factories.id", index=True)
    name: Mapped[str] = mapped_column(String(200))
    robot_id: Mapped[str | None] = fk("robots.id", default=None, unique=True)
    data_collector_id: Mapped[str | None] = fk("data_collectors.id", default=None, index=True)
    status: Mapped[WorkstationStatus] = mapped_column(
        enum_column_type(WorkstationStatus, "workstation_status"),
        default=WorkstationStatus.offline,
    )
    break_started_at: Mapped[datetime | None] = mapped_column(default=None)


class WorkstationPairing(Base):
    """History of robot + collector pairings; the open row (ended_at NULL) is current."""

    __tablename__ = "workstation_pairings"
    id: Mapped[str] = id_column()
    workstation_id: Mapped[str] = fk("workstations.id", index=True)
    robot_id: Mapped[str | None] = fk("robots.id", default=None, index=True)
    data_collector_id: Mapped[str | None] = fk("data_collectors.id", default=None, index=True)
    started_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    changed_by: Mapped[str] = mapped_column(String(100), default="")
