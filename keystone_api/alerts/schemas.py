"""Request and response shapes of the alerts API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from keystone_api.common.schemas import In, Out

State = Literal["firing", "ok"]


class AlertsQuery(In):
    factory_id: str | None = Field(
        None, max_length=64, description="One factory (a factory-bound caller sees only its own)"
    )
    state: State | None = Field(None, description="Only firing (or only ok) alerts")


class AlertOut(Out):
    """One alert as evaluated now. The four threshold alerts appear once per factory, firing
    or ok; operator events (e.g. a failed Dagster run) appear while unresolved."""

    name: str = Field(
        description="UploadQueueHigh | QaFailureRateHigh | NoUploads | SyncQueueHigh, or an "
        "operator event's kind in the same style (PipelineRunFailed)",
        examples=["UploadQueueHigh"],
    )
    severity: Literal["info", "warning", "critical"] = Field(examples=["warning"])
    state: State = Field(examples=["firing"])
    factory_id: str | None = Field(
        None, description="null for events of the whole edge", examples=["0195f3c1-..."]
    )
    value: float | None = Field(
        None, description="The measured value, in `unit` (null: nothing to measure)", examples=[8]
    )
    threshold: float | None = Field(
        None, description="Fires when value is above this", examples=[5]
    )
    unit: str = Field("", examples=["files"], description="files | ratio | seconds | episodes")
    since: datetime | None = Field(
        None,
        description="When the oldest fact behind the condition happened (e.g. the oldest "
        "waiting upload); the app keeps no alert history",
    )
    description: str = Field(
        examples=[
            "1 robot(s) hold more than 5 recordings not yet uploaded (worst: AB-F0001-T0001-"
            "000003 with 8). Investigate network or storage."
        ]
    )
    subjects: list[str] = Field(
        default_factory=list,
        description="What fires, when narrower than the factory (robots' device ids)",
        examples=[["AB-F0001-T0001-000003"]],
    )
    event_id: str | None = Field(
        None, description="The operator event; resolve it with POST /alerts/events/{id}/resolve"
    )
    factory_name: str | None = Field(None, examples=["Factory Shanghai"])
    simulated: bool = Field(
        False,
        description="The condition is the fleet simulator's doing (`keystone dev` damages a "
        "share of recordings on purpose: KEYSTONE_SIMULATED_DEFECT_RATE), not a fault",
    )
    link: str | None = Field(
        None,
        description="Where to look into it: a failed run in the Dagster UI (its logs, "
        "Re-execute), when KEYSTONE_DAGSTER_URL is set",
        examples=["http://127.0.0.1:3000/runs/9f1c..."],
    )


class AlertsOut(Out):
    at: datetime = Field(description="When the alerts were evaluated")
    firing: int = Field(description="How many of the items fire", examples=[1])
    items: list[AlertOut]


class ResolveIn(In):
    note: str = Field("", max_length=2000, examples=["re-ran the partition; fixed"])


class OperatorEventOut(Out):
    id: str
    at: datetime
    kind: str = Field(examples=["pipeline_run_failed"])
    severity: str = Field(examples=["warning"])
    title: str = Field(examples=["Dagster run of episode_qa_job failed"])
    detail: str
    data: dict[str, Any] = Field(
        examples=[{"run_id": "9f1c...", "job_name": "episode_qa_job", "resolved_by": "user:ana"}]
    )
    resolved_at: datetime | None


class EventsQuery(In):
    include_resolved: bool = Field(False, description="Resolved events too (newest first)")
    limit: int = Field(50, ge=1, le=500)
