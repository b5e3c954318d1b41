"""An episode's QA as the API and the dashboard's episode page show it: every assessment,
newest first, with the spec version that judged it and who asked for a re-assessment."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.episodes.models import Episode
from keystone_api.qa.history import assessments_of
from keystone_api.qa.models import QaReassessMark, QaReassessRequest
from keystone_api.qa.schemas import AssessmentOut, EpisodeQaOut
from keystone_api.qa.spec_versions import latest_version
from keystone_api.registry.models import Subscene


def episode_qa(session: Session, episode: Episode) -> EpisodeQaOut:
    rows = assessments_of(session, episode.id)
    request_ids = {a.request_id for a in rows if a.request_id}
    requests = (
        {
            q.id: q
            for q in session.execute(
                select(QaReassessRequest).where(QaReassessRequest.id.in_(request_ids))
            ).scalars()
        }
        if request_ids
        else {}
    )
    history = []
    for a in rows:
        out = AssessmentOut.model_validate(a)
        q = requests.get(a.request_id or "")
        if q is not None:
            out.requested_by, out.reason = q.requested_by, q.reason
            out.override_inspector = q.override_inspector
        history.append(out)
    decided: Any = next((h for h in history if h.held is None), None)
    subscene = session.get(Subscene, episode.subscene_id)
    current = latest_version(session, subscene.robot_type_id) if subscene else None
    return EpisodeQaOut(
        episode_id=episode.id,
        status=episode.status.value,
        latest=decided,
        current_spec_version=current.version if current else None,
        reassess_pending=session.get(QaReassessMark, episode.id) is not None,
        history=history,
    )
