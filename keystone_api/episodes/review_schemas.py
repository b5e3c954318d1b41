"""Request and response shapes of inspection at scale: the queue's filters, bulk decisions
(preview, then apply), spot checks and annotated decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from keystone_api.common.schemas import In, Out, Text
from keystone_api.stats.rates import definition

Decision = Literal["approve", "reject"]


class InspectionFilters(In):
    """What the inspection queue and bulk decisions select, of the episodes awaiting an
    inspector (flagged by QA, or sampled for a spot check)."""

    kind: Literal["flagged", "spot_check"] | None = Field(
        None, description="Only flagged episodes, or only spot checks (default: both)"
    )
    robot_type_id: str | None = Field(None, max_length=64)
    robot_id: str | None = Field(None, max_length=64)
    workstation_id: str | None = Field(None, max_length=64, description="The station")
    order_id: str | None = Field(None, max_length=64)
    batch_id: str | None = Field(None, max_length=64)
    failed_check: str | None = Field(
        None, max_length=64, examples=["gaps"], description="A QA check the episode failed"
    )
    score_min: float | None = Field(None, ge=0, le=1)
    score_max: float | None = Field(None, ge=0, le=1)
    landed_after: AwareDatetime | None = None
    landed_before: AwareDatetime | None = None

    @model_validator(mode="after")
    def _ranges(self) -> InspectionFilters:
        low, high = self.score_min, self.score_max
        if low is not None and high is not None and low > high:
            raise ValueError("score_min must be <= score_max")
        if self.landed_after and self.landed_before and self.landed_after >= self.landed_before:
            raise ValueError("landed_after must be before landed_before")
        return self


class InspectionQueueQuery(InspectionFilters):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)  # as ListQuery: SQL needs a bound


class BulkPreviewIn(In):
    filters: InspectionFilters = Field(default_factory=InspectionFilters)


class BulkPreviewOut(BaseModel):
    count: int
    spot_checks: int = Field(description="How many of them are spot checks")
    episode_ids: list[str]
    token: str = Field(description="The set's snapshot: pass it to apply exactly this set")
    limit: int = Field(description="The most one bulk decision may cover")


class BulkDecisionIn(In):
    filters: InspectionFilters = Field(default_factory=InspectionFilters)
    token: str = Field(min_length=64, max_length=64, description="From the preview")
    decision: Decision
    reason: Text = Field(min_length=1, max_length=2000, examples=["spec v3 flagged gaps wrongly"])
    notes: Text = ""


class BulkDecisionOut(BaseModel):
    decided: int
    decision: Decision
    episode_ids: list[str]
    all_or_nothing: bool = True


class AnnotationIn(In):
    start_s: float = Field(ge=0, examples=[12.0])
    end_s: float = Field(gt=0, examples=[14.5])
    topic: str | None = Field(None, max_length=256, examples=["/camera_left"])
    note: str = Field(min_length=1, max_length=500, examples=["occluded"])


class AnnotationOut(Out):
    decision_id: str
    start_s: float
    end_s: float
    topic: str | None
    note: str


class SpotCheckOut(Out):
    share: float
    held: bool
    sampled_at: datetime
    decided_at: datetime | None
    decision: str | None


class SpotCheckAgreement(BaseModel):
    robot_type_id: str
    robot_type: str
    share: float = Field(description="Share of its auto-approved episodes sampled")
    waiting: int = Field(description="Spot checks waiting for an inspector")
    decided: int
    agreed: int = Field(description="Decided spot checks the inspector approved")
    spot_check_agreement_rate: float | None = Field(
        description=definition("spot_check_agreement_rate").definition, examples=[0.96]
    )
