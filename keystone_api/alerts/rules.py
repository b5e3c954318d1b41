"""The specification's alert thresholds as pure functions of a factory's facts.

One definition for every reader: `GET /api/v1/alerts`, the Dagster `factory_health` checks,
and (written against the /metrics names) deploy/prometheus/keystone-rules.yml.

| alert              | severity | fires when (per factory)                                         |
| ------------------ | -------- | ---------------------------------------------------------------- |
| UploadQueueHigh    | warning  | a robot holds more than 5 recordings not yet uploaded            |
| QaFailureRateHigh  | warning  | > 10 % of the last hour's assessed episodes failed a check,      |
|                    |          | once at least 20 were assessed (fewer says little)               |
| NoUploads          | critical | work is under way and nothing landed for more than 30 minutes    |
| SyncQueueHigh      | warning  | more than 100 episodes queued for the cloud and not there yet    |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from keystone_api.alerts.facts import FactoryFacts
from keystone_api.sync.stats import QUEUE_WARN_THRESHOLD

Severity = Literal["info", "warning", "critical"]
MAX_SUBJECTS = 20


@dataclass(frozen=True)
class Thresholds:
    upload_queue_files: int = 5
    qa_failure_rate: float = 0.10
    qa_min_assessed: int = 20
    no_upload_s: float = 30 * 60
    sync_queue: int = QUEUE_WARN_THRESHOLD


THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class AlertState:
    name: str
    severity: Severity
    firing: bool
    factory_id: str | None
    value: float | None
    threshold: float | None
    unit: str
    since: datetime | None
    description: str
    subjects: list[str] = field(default_factory=list)
    event_id: str | None = None
    factory_name: str | None = None
    # The fleet simulator's injected defects explain it (alerts/simulation.py).
    simulated: bool = False
    # Where to look into it (a failed run in the Dagster UI).
    link: str | None = None


def upload_queue(f: FactoryFacts, t: Thresholds = THRESHOLDS) -> AlertState:
    over = sorted(
        (q for q in f.robot_queues if q.files > t.upload_queue_files), key=lambda q: -q.files
    )
    worst = max((q.files for q in f.robot_queues), default=0)
    oldest = [q.oldest_uploading_at for q in over if q.oldest_uploading_at is not None]
    if over:
        text = (
            f"{len(over)} robot(s) hold more than {t.upload_queue_files} recordings not yet "
            f"uploaded (worst: {over[0].device_id} with {over[0].files}). "
            "Investigate network or storage."
        )
    else:
        text = f"No robot holds more than {t.upload_queue_files} recordings not yet uploaded."
    return AlertState(
        name="UploadQueueHigh",
        severity="warning",
        firing=bool(over),
        factory_id=f.factory_id,
        factory_name=f.factory_name,
        value=float(worst),
        threshold=float(t.upload_queue_files),
        unit="files",
        since=min(oldest) if oldest else None,
        description=text,
        subjects=[q.device_id for q in over[:MAX_SUBJECTS]],
    )


def qa_failure_rate(f: FactoryFacts, t: Thresholds = THRESHOLDS) -> AlertState:
    assessed, failed = f.assessed, f.qa_failed
    rate = failed / assessed if assessed else None
    enough = assessed >= t.qa_min_assessed
    firing = enough and rate is not None and rate > t.qa_failure_rate
    counted = f"{failed} of {assessed} episodes assessed in the last hour failed a QA check"
    if firing:
        text = f"{counted}. Review data quality."
    elif not enough:
        text = f"{counted}; judged from {t.qa_min_assessed} assessed episodes on."
    else:
        text = f"{counted}."
    return AlertState(
        name="QaFailureRateHigh",
        severity="warning",
        firing=firing,
        factory_id=f.factory_id,
        factory_name=f.factory_name,
        value=round(rate, 4) if rate is not None else None,
        threshold=t.qa_failure_rate,
        unit="ratio",
        since=None,
        description=text,
    )


def no_uploads(f: FactoryFacts, t: Thresholds = THRESHOLDS) -> AlertState:
    wait = f.upload_wait_s
    firing = f.waiting_since is not None and wait > t.no_upload_s
    minutes = int(wait // 60)
    if f.waiting_since is None:
        text = "No recording under way: the factory is not expected to upload now."
    elif firing:
        text = (
            f"Work is under way ({f.recordings_in_flight} recording(s) in flight) and no "
            f"recording has landed for {minutes} min. Check device health."
        )
    else:
        text = f"Work is under way; waiting for an upload for {minutes} min."
    return AlertState(
        name="NoUploads",
        severity="critical",
        firing=firing,
        factory_id=f.factory_id,
        factory_name=f.factory_name,
        value=round(wait, 1),
        threshold=t.no_upload_s,
        unit="seconds",
        since=f.waiting_since,
        description=text,
    )


def sync_queue(f: FactoryFacts, t: Thresholds = THRESHOLDS) -> AlertState:
    depth = f.live.sync_queue_depth
    firing = depth > t.sync_queue
    text = f"{depth} approved episodes are queued for the cloud and not there yet"
    text += ". Check cloud connectivity." if firing else "."
    return AlertState(
        name="SyncQueueHigh",
        severity="warning",
        firing=firing,
        factory_id=f.factory_id,
        factory_name=f.factory_name,
        value=float(depth),
        threshold=float(t.sync_queue),
        unit="episodes",
        since=f.sync_oldest_approved_at if depth else None,
        description=text,
    )


RULES = (upload_queue, qa_failure_rate, no_uploads, sync_queue)
RULE_NAMES = ("UploadQueueHigh", "QaFailureRateHigh", "NoUploads", "SyncQueueHigh")


def evaluate(f: FactoryFacts, t: Thresholds = THRESHOLDS) -> list[AlertState]:
    return [rule(f, t) for rule in RULES]
