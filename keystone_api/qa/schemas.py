"""Re-assessment requests and answers, and the QA history as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from keystone_api.episodes.models import EpisodeStatus


class ReassessFilter(BaseModel):
    """Which episodes: every criterion given must hold (at least one is required)."""

    model_config = ConfigDict(extra="forbid")

    episode_ids: list[str] | None = Field(None, min_length=1, max_length=10_000)
    robot_type_id: str | None = None
    failed_check: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]{0,63}$")
    score_min: float | None = Field(None, ge=0, le=1)
    score_max: float | None = Field(None, ge=0, le=1)
    landed_after: datetime | None = None
    landed_before: datetime | None = None
    status: list[EpisodeStatus] | None = Field(None, min_length=1)
    # Judged by a version of the robot type's spec older than this one (needs robot_type_id).
    spec_version_below: int | None = Field(None, ge=2)

    @field_validator("failed_check")
    @classmethod
    def _known_check(cls, v: str | None) -> str | None:
        from keystone_pipelines.validator.spec import CHECK_NAMES

        if v is not None and v not in CHECK_NAMES:
            raise ValueError(f"unknown check '{v}' (one of: {', '.join(CHECK_NAMES)})")
        return v

    @model_validator(mode="after")
    def _coherent(self) -> ReassessFilter:
        if not self.model_dump(exclude_none=True):
            raise ValueError("name at least one filter (episode_ids, robot_type_id, ...)")
        if (
            self.score_min is not None
            and self.score_max is not None
            and self.score_min > self.score_max
        ):
            raise ValueError("score_min is above score_max")
        if self.landed_after and self.landed_before and self.landed_after >= self.landed_before:
            raise ValueError("landed_after must be before landed_before")
        if self.spec_version_below is not None and self.robot_type_id is None:
            raise ValueError("spec_version_below needs robot_type_id")
        if self.status and EpisodeStatus.pending_qa in self.status:
            raise ValueError("pending_qa episodes are not assessed yet; QA takes them anyway")
        return self


class ReassessIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filter: ReassessFilter
    preview: bool = True
    reason: str = Field("", max_length=2000)
    override_inspector: bool = False

    @model_validator(mode="after")
    def _reason(self) -> ReassessIn:
        if not self.preview and not self.reason.strip():
            raise ValueError("reason: required to re-assess (it is recorded with the request)")
        if self.override_inspector and not self.reason.strip():
            raise ValueError("reason: required to override inspectors' decisions")
        return self


class Untouched(BaseModel):
    reason: Literal["inspector_decided", "in_a_qa_run", "already_marked"]
    why: str
    count: int
    sample: list[str]


class ReassessOut(BaseModel):
    preview: bool
    request_id: str | None = None
    count: int  # episodes (to be) marked for re-assessment
    sample: list[str]  # up to 50 of their ids
    # Among them: re-assessed for the record only, their status stays (synced to the cloud).
    record_only: int
    record_only_why: str = (
        "synced (or syncing) to the cloud: re-assessed for the record; status and sync stay"
    )
    untouched: list[Untouched]
    how: str = (
        "marked episodes keep their decision until the QA run (the landing sensor asks for one "
        "per hour) records the new assessment"
    )


class AssessmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    assessed_at: datetime
    score: float
    passed: bool
    decided_status: str
    status_before: str
    status_after: str
    held: str | None
    checks: list[Any]
    findings: list[Any]
    spec_version: int | None
    spec_version_id: str | None
    spec_digest: str
    validator_version: str
    formula_version: str
    actor: str
    trigger: str
    request_id: str | None
    requested_by: str | None = None
    reason: str | None = None
    override_inspector: bool = False


class EpisodeQaOut(BaseModel):
    episode_id: str
    status: str
    latest: AssessmentOut | None
    current_spec_version: int | None  # the robot type's spec version now
    reassess_pending: bool
    history: list[AssessmentOut]


class SpecVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    robot_type_id: str
    version: int
    spec: dict[str, Any]
    spec_digest: str
    created_by: str
    created_at: datetime


class WouldChange(BaseModel):
    episode_id: str
    status: str
    judged_by_version: int | None
    old_score: float | None
    new_score: float
    new_decision: str


class SpecChangeOut(BaseModel):
    """What the robot type's latest spec version would decide differently. Where only the
    score's weights or critical checks changed, the decision is re-run on the stored check
    results (`would_change`, exact); any other change needs the recordings read again, so
    those episodes are listed as judged by an older version (`needs_revalidation`)."""

    robot_type_id: str
    current_version: int | None
    judged_by_older: int
    rescored_from_stored_checks: int
    would_change: list[WouldChange]
    needs_revalidation: int
    needs_revalidation_sample: list[str]
    changed_fields: list[str]
    # POST /api/v1/qa/reassess with this filter re-assesses every episode judged before.
    reassess_filter: dict[str, Any]
