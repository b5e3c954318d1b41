"""The QA spec an episode is held to: its robot type's, refined by subscene and SOP."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from keystone_api.episodes.models import Episode
from keystone_api.fleet.models import RobotType
from keystone_api.registry.models import Sop, Subscene
from keystone_pipelines.validator.spec import QaSpec, parse_spec


def qa_spec_for(session: Session, episode: Episode) -> QaSpec:
    subscene = session.get(Subscene, episode.subscene_id)
    robot_type = session.get(RobotType, subscene.robot_type_id) if subscene else None
    sop = session.get(Sop, episode.sop_id)
    base = parse_spec(robot_type.qa_spec if robot_type and robot_type.qa_spec else {})
    return base.merge(subscene.qa_spec if subscene else None, sop.qa_spec if sop else None)


class SpecCache:
    """The specs of one QA run by (subscene, SOP): a run's episodes share a handful, so
    each is read once per run instead of three lookups per episode. Per run, not per
    process: an edited spec applies from the next run."""

    def __init__(self) -> None:
        self._specs: dict[tuple[str | None, str | None], QaSpec] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, episode: Episode) -> QaSpec:
        key = (episode.subscene_id, episode.sop_id)
        with self._lock:
            spec = self._specs.get(key)
        if spec is None:
            spec = qa_spec_for(session, episode)
            with self._lock:
                self._specs[key] = spec
        return spec
