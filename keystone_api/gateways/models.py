"""What the transfer gateway knows about each task's upload, so that a stalled upload is
requested again and a server restart loses nothing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from keystone_api.db.base import Base, Timestamps, enum_column_type, fk


class UploadState(StrEnum):
    requested = "requested"  # upload_request sent, nothing heard yet
    started = "started"  # upload_started received
    complete = "complete"  # upload_complete received, verification pending or retried
    acked = "acked"  # verified, registered and upload_ack sent
    failed = "failed"  # upload_failed from the daemon
    not_found = "not_found"  # upload_not_found: the robot has no such recording
    rejected = "rejected"  # verification failed (e.g. checksum mismatch): never ACKed


class TaskUpload(Timestamps, Base):
    """One row per task whose recording was asked for (the robot's upload of it)."""

    __tablename__ = "task_uploads"
    __table_args__ = (Index("ix_task_uploads_state_event", "state", "last_event_at"),)
    task_id: Mapped[str] = fk("tasks.id", primary_key=True)
    robot_id: Mapped[str] = fk("robots.id", index=True)
    state: Mapped[UploadState] = mapped_column(
        enum_column_type(UploadState, "upload_state"), default=UploadState.requested
    )
    request_count: Mapped[int] = mapped_column(Integer, default=0)
    requested_at: Mapped[datetime | None] = mapped_column(default=None)
    # Anything heard about this upload (request, start, status, completion): the stall clock.
    last_event_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    acked_at: Mapped[datetime | None] = mapped_column(default=None)
    s3_key: Mapped[str | None] = mapped_column(String(512), default=None)
    file_size_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    checksum_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    retry_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
