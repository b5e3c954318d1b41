"""What the tiers learn about a file, shared by the readers and the checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from keystone_pipelines.validator.records import (
    AttachmentIndex,
    Channel,
    ChunkIndex,
    Footer,
    Header,
    MetadataIndex,
    Schema,
    Statistics,
)

if TYPE_CHECKING:
    import numpy as np

Severity = Literal["error", "warning", "info"]


@dataclass
class Finding:
    """One observation about the file. Errors fail the check they belong to."""

    severity: Severity
    code: str
    message: str
    check: str = "structure"

    def to_dict(self) -> dict[str, str]:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "check": self.check,
        }


@dataclass
class FileInfo:
    """Tier 1 (footer, summary, statistics, metadata), completed by tier 2 or a scan."""

    size: int
    readable: bool = True  # False: not an MCAP file at all (empty, bad magic)
    header: Header | None = None
    footer: Footer | None = None
    summary_usable: bool = False
    schemas: dict[int, Schema] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    summary_channel_ids: set[int] = field(default_factory=set)
    summary_schema_ids: set[int] = field(default_factory=set)
    statistics: Statistics | None = None
    chunk_indexes: list[ChunkIndex] = field(default_factory=list)
    metadata_indexes: list[MetadataIndex] = field(default_factory=list)
    attachment_indexes: list[AttachmentIndex] = field(default_factory=list)
    metadata: dict[str, dict[str, str]] = field(default_factory=dict)
    data_crc: int | None = None  # from DataEnd; 0 means "not written" (Axon)
    findings: list[Finding] = field(default_factory=list)

    def add(self, severity: Severity, code: str, message: str, check: str = "structure") -> None:
        if any(f.code == code and f.message == message for f in self.findings):
            return  # the same defect seen by two tiers (frame sample and integrity pass)
        if len(self.findings) < 200:  # a damaged file can repeat one defect thousands of times
            self.findings.append(Finding(severity, code, message, check))
        elif len(self.findings) == 200:
            self.findings.append(Finding("info", "TOO_MANY_FINDINGS", "further findings omitted"))

    def errors(self, check: str = "structure") -> list[Finding]:
        return [f for f in self.findings if f.check == check and f.severity == "error"]

    def topic_of(self, channel_id: int) -> str:
        ch = self.channels.get(channel_id)
        return ch.topic if ch else f"<channel {channel_id}>"

    def schema_name(self, channel_id: int) -> str:
        ch = self.channels.get(channel_id)
        schema = self.schemas.get(ch.schema_id) if ch else None
        return schema.name if schema else ""


@dataclass
class ChunkMessages:
    """One chunk and where its messages are: per channel an (n, 2) uint64 array of
    (log_time, offset of the Message record inside the decompressed records)."""

    offset: int  # of the Chunk record in the file
    length: int  # of the whole Chunk record
    compression: str
    compressed_size: int
    uncompressed_size: int
    by_channel: dict[int, np.ndarray]


@dataclass
class MessageMap:
    """Where every message is, from message indexes (tier 2) or a linear scan."""

    method: Literal["message_indexes", "linear_scan", "summary"]
    chunks: list[ChunkMessages] = field(default_factory=list)
    # Messages outside chunks: per channel an (n, 3) uint64 array of
    # (log_time, file offset of the Message record, record length).
    loose: dict[int, np.ndarray] = field(default_factory=dict)
    complete: bool = True  # False when a scan stopped early (truncated, unreadable)
