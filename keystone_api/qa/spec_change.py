"""After a robot type's QA spec changed: which episodes judged by an older version would its
latest version decide differently. Weights and critical checks only change how stored check
results add up, so those decisions are re-run on the stored results (exact, no recording
read); any other change (topics, durations, limits) needs the recordings read again, and
those episodes are listed for a re-assessment instead."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from keystone_api.episodes.models import Episode, EpisodeStatus, QaCheck
from keystone_api.qa.reassess import judged_by_version
from keystone_api.qa.schemas import SpecChangeOut, WouldChange
from keystone_api.qa.spec_versions import versions_of
from keystone_api.registry.models import Sop, Subscene
from keystone_pipelines.validator.result import CheckResult
from keystone_pipelines.validator.score import overall_score
from keystone_pipelines.validator.spec import QaSpec, parse_spec

RESCORABLE = frozenset({"weights", "critical_checks"})
LIMIT = 5000
SAMPLE = 50


def _changed(old: dict[str, Any], new: dict[str, Any]) -> set[str]:
    return {k for k in set(old) | set(new) if old.get(k) != new.get(k)}


def _effective(session: Session, spec: dict[str, Any], episode: Episode) -> QaSpec:
    subscene = session.get(Subscene, episode.subscene_id)
    sop = session.get(Sop, episode.sop_id)
    return parse_spec(spec).merge(
        subscene.qa_spec if subscene else None, sop.qa_spec if sop else None
    )


def _rescore(session: Session, spec: QaSpec, episode_id: str) -> float:
    checks = [
        CheckResult(c.name, c.passed, c.score, c.detail, dict(c.data or {}))
        for c in session.execute(select(QaCheck).where(QaCheck.episode_id == episode_id)).scalars()
    ]
    return overall_score(checks, spec.weights, spec.critical_checks)


def spec_change_preview(
    session: Session, robot_type_id: str, factory_id: str | None, threshold: float
) -> SpecChangeOut:
    versions = versions_of(session, robot_type_id)
    filter_ = {"robot_type_id": robot_type_id}
    if not versions:
        return SpecChangeOut(
            robot_type_id=robot_type_id, current_version=None, judged_by_older=0,
            rescored_from_stored_checks=0, would_change=[], needs_revalidation=0,
            needs_revalidation_sample=[], changed_fields=[], reassess_filter=filter_,
        )  # fmt: skip
    current, specs = versions[0], {v.version: v.spec for v in versions}
    judged = judged_by_version().label("judged_by")
    stmt = (
        select(Episode, judged)
        .where(
            Episode.status != EpisodeStatus.pending_qa,
            Episode.subscene_id.in_(
                select(Subscene.id).where(Subscene.robot_type_id == robot_type_id)
            ),
            or_(judged.is_(None), judged < current.version),
        )
        .order_by(Episode.landed_at, Episode.id)
        .limit(LIMIT)
    )
    if factory_id is not None:
        stmt = stmt.where(Episode.factory_id == factory_id)
    effective: dict[tuple[str, str], QaSpec] = {}
    would: list[WouldChange] = []
    revalidate: list[str] = []
    changed_fields: set[str] = set()
    rescored = 0
    for episode, version in session.execute(stmt).all():
        old = specs.get(version) if version is not None else None
        changed = _changed(old, current.spec) if old is not None else {"(unversioned)"}
        changed_fields |= changed
        if old is None or not changed <= RESCORABLE or episode.qa_score is None:
            revalidate.append(episode.id)
            continue
        key = (episode.subscene_id, episode.sop_id)
        if key not in effective:
            effective[key] = _effective(session, current.spec, episode)
        score = _rescore(session, effective[key], episode.id)
        rescored += 1
        before = episode.qa_score >= threshold
        if (score >= threshold) != before:
            would.append(
                WouldChange(
                    episode_id=episode.id,
                    status=episode.status.value,
                    judged_by_version=version,
                    old_score=episode.qa_score,
                    new_score=score,
                    new_decision="auto_approved" if score >= threshold else "needs_inspection",
                )
            )
    return SpecChangeOut(
        robot_type_id=robot_type_id,
        current_version=current.version,
        judged_by_older=rescored + len(revalidate),
        rescored_from_stored_checks=rescored,
        would_change=would,
        needs_revalidation=len(revalidate),
        needs_revalidation_sample=revalidate[:SAMPLE],
        changed_fields=sorted(changed_fields),
        reassess_filter={**filter_, "spec_version_below": current.version},
    )
