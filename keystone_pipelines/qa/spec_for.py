"""The QA spec an episode is held to: its robot type's, refined by subscene and SOP."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from keystone_api.episodes.models import Episode
from keystone_api.fleet.models import RobotType
from keystone_api.qa.spec_versions import spec_digest
from keystone_api.registry.models import Sop, Subscene
from keystone_pipelines.validator.spec import QaSpec, parse_spec


@dataclass(frozen=True)
class SpecUsed:
    """The effective spec and what it came from, recorded with the assessment: the robot
    type's own spec (its version is looked up when the result is recorded) and the digest of
    the merged spec (which changes with a subscene or SOP override too)."""

    spec: QaSpec
    robot_type_id: str | None = None
    robot_type_spec: dict[str, Any] = field(default_factory=dict)
    digest: str = ""


def spec_used_for(session: Session, episode: Episode) -> SpecUsed:
    subscene = session.get(Subscene, episode.subscene_id)
    robot_type = session.get(RobotType, subscene.robot_type_id) if subscene else None
    sop = session.get(Sop, episode.sop_id)
    own = dict(robot_type.qa_spec or {}) if robot_type else {}
    spec = parse_spec(own).merge(
        subscene.qa_spec if subscene else None, sop.qa_spec if sop else None
    )
    return SpecUsed(
        spec=spec,
        robot_type_id=robot_type.id if robot_type else None,
        robot_type_spec=own,
        digest=spec_digest(spec.model_dump(mode="json")),
    )


def qa_spec_for(session: Session, episode: Episode) -> QaSpec:
    return spec_used_for(session, episode).spec


class SpecCache:
    """The specs of one QA run by (subscene, SOP): a run's episodes share a handful, so
    each is read once per run instead of three lookups per episode. Per run, not per
    process: an edited spec applies from the next run."""

    def __init__(self) -> None:
        self._specs: dict[tuple[str | None, str | None], SpecUsed] = {}
        self._lock = threading.Lock()

    def used(self, session: Session, episode: Episode) -> SpecUsed:
        key = (episode.subscene_id, episode.sop_id)
        with self._lock:
            used = self._specs.get(key)
        if used is None:
            used = spec_used_for(session, episode)
            with self._lock:
                self._specs[key] = used
        return used

    def get(self, session: Session, episode: Episode) -> QaSpec:
        return self.used(session, episode).spec
