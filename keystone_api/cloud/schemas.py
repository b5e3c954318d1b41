"""The sync channel's request and response shapes (edge sender -> cloud receiver)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

Sha256 = Annotated[str, StringConstraints(to_lower=True, pattern=r"^[0-9a-fA-F]{64}$")]
Key = Annotated[str, StringConstraints(min_length=1, max_length=512)]
RecordId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class In(BaseModel):
    """Unknown fields are an error, like every Keystone input; but no whitespace stripping:
    the sidecar and the records must arrive exactly as the edge has them."""

    model_config = ConfigDict(extra="forbid")


Crc64 = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{11}=$")]


class Checksums(In):
    mcap: Sha256
    sidecar: Sha256
    mcap_crc64nvme: Crc64 | None = Field(
        default=None,
        description=(
            "For an MCAP uploaded in parts: the CRC64NVME (base64, as S3 encodes it) of its "
            "bytes, computed by the sender together with their SHA-256. The receiver compares "
            "it with the store's full-object CRC64NVME (which the store computes from every "
            "part it accepted) instead of reading the object; without it, it reads and hashes."
        ),
    )


class ObjectKeys(In):
    """Keys in the cloud bucket, uploaded before the delivery; under `{factory_id}/`."""

    mcap: Key
    sidecar: Key


class QaFinding(In):
    """One observation of the edge's QA about the recording (the validator's finding)."""

    severity: Literal["error", "warning", "info"]
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    message: Annotated[str, StringConstraints(max_length=2000)]
    check: Annotated[str, StringConstraints(max_length=64)] = ""


Name = Annotated[str, StringConstraints(max_length=200)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class QaCheckSummary(In):
    """One QA check's result on the edge, as the catalog shows it."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    passed: bool
    score: float = Field(allow_inf_nan=False)
    detail: Annotated[str, StringConstraints(max_length=500)] = ""


class CatalogFacts(In):
    """Where the episode came from and what the cloud's catalog filters on, as the edge had
    them when it was approved (names, not only ids: the cloud keeps no copy of the edges'
    registries)."""

    factory_name: Name = ""
    task_id: RecordId | None = None
    order_id: RecordId | None = None
    batch_id: RecordId | None = None
    workstation_id: RecordId | None = None
    workstation: Name = ""
    robot_id: RecordId | None = None
    device_id: Name = ""
    robot_type: Name = ""
    scene: Name = ""
    subscene: Name = ""
    skills: list[Tag] = Field(default_factory=list, max_length=50)
    labels: list[Tag] = Field(default_factory=list, max_length=50)
    qa_score: float | None = Field(None, ge=0, le=1)
    qa_checks: list[QaCheckSummary] = Field(default_factory=list, max_length=50)


class EpisodeDelivery(In):
    episode_id: RecordId
    factory_id: RecordId
    approved_at: AwareDatetime
    sidecar: dict[str, Any]
    checksum: Checksums
    objects: ObjectKeys
    qa_findings: list[QaFinding] = Field(
        default_factory=list,
        max_length=50,
        description=(
            "What the edge's QA noted about the recording without failing it, e.g. "
            "EMPTY_SCHEMA: its schemas carry no message definitions, so generic ROS 2 "
            "readers (Foxglove) cannot decode it. Sent only when there are some."
        ),
    )
    catalog: CatalogFacts | None = Field(
        None,
        description=(
            "Where the episode came from and what the catalog filters on. Without it the "
            "cloud reads what it can from the sidecar (scene, subscene, skills, task, order, "
            "device)."
        ),
    )


class EpisodeAccepted(BaseModel):
    episode_id: str
    synced_at: datetime
    verified_by: str = Field(
        description=(
            "s3-checksum (the store's full-object SHA-256), s3-crc64nvme (the store's "
            "full-object CRC64NVME of a multipart object) or read (hashed by the receiver)"
        )
    )


class AlreadySynced(BaseModel):
    """409: the cloud has this episode with the same checksums (the sender counts it synced)."""

    synced_at: datetime
    episode_id: str
    error: dict[str, Any]


class ReplicaRecord(In):
    kind: Literal["organization", "order", "batch", "task"]
    id: RecordId
    version: int = Field(
        ge=1, description="The edge's row version; at most 100,000 above the cloud's copy"
    )
    updated_at: AwareDatetime | None = None
    data: dict[str, Any] = Field(
        description="The record's columns; orders, batches and tasks include factory_id, "
        "their owning factory"
    )


class ReplicaBatch(In):
    records: list[ReplicaRecord] = Field(max_length=500)


class ReplicaResult(BaseModel):
    applied: int = Field(description="Records inserted or moved to a newer version")
    stale: int = Field(description="Records the cloud already had at this or a newer version")
