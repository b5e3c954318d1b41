"""Time ranges (and optionally a topic) an inspector's decision names in the recording:
"12.0-14.5 s, /camera_left: occluded". Checked here, whichever door the decision came
through: start before end, both within the recording when its duration is known."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.episodes.review_models import InspectionAnnotation
from keystone_api.errors import Invalid

MAX_PER_DECISION = 100


@dataclass(frozen=True)
class Annotation:
    start_s: float
    end_s: float
    note: str
    topic: str | None = None


def check(items: Sequence[Annotation], duration_s: float | None) -> None:
    """Raise Invalid naming the first bad annotation (by index) and why."""
    if len(items) > MAX_PER_DECISION:
        raise Invalid(f"annotations: at most {MAX_PER_DECISION} per decision")
    for i, a in enumerate(items):
        where = f"annotations[{i}]"
        if not (math.isfinite(a.start_s) and math.isfinite(a.end_s)):
            raise Invalid(f"{where}: start_s and end_s must be finite numbers of seconds")
        if a.start_s < 0:
            raise Invalid(f"{where}: start_s must be >= 0 (got {a.start_s})")
        if a.start_s >= a.end_s:
            raise Invalid(f"{where}: start_s ({a.start_s}) must be before end_s ({a.end_s})")
        if duration_s is not None and a.end_s > duration_s + 1e-6:
            raise Invalid(
                f"{where}: end_s ({a.end_s}) is past the recording's end ({duration_s:.3f} s)"
            )
        if not a.note.strip():
            raise Invalid(f"{where}: note is required (what is wrong in this range)")
        if a.topic is not None and not a.topic.startswith("/"):
            raise Invalid(f"{where}: topic must be a ROS topic name starting with '/'")


def store(session: Session, decision_id: str, episode_id: str, items: Sequence[Annotation]) -> None:
    for a in items:
        session.add(
            InspectionAnnotation(
                decision_id=decision_id,
                episode_id=episode_id,
                start_s=a.start_s,
                end_s=a.end_s,
                topic=a.topic or None,
                note=a.note.strip(),
            )
        )


def of_episode(session: Session, episode_id: str) -> list[InspectionAnnotation]:
    return list(
        session.execute(
            select(InspectionAnnotation)
            .where(InspectionAnnotation.episode_id == episode_id)
            .order_by(InspectionAnnotation.start_s, InspectionAnnotation.id)
        ).scalars()
    )
