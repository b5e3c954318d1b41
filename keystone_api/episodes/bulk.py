"""The inspection queue's selection, and bulk decisions on it.

A bulk decision is two requests: a preview names the set (count, ids) and a token, the
SHA-256 of its sorted ids; the decision carries the same filters and that token, and is
refused (409, with a fresh preview) if the filters now select another set, because an
episode arrived, left or was decided in between. The inspector decides exactly what they
saw. Each episode goes through inspection.decide, in one transaction: all or nothing (one
episode that cannot be decided refuses the whole request, and nothing is written).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from keystone_api.episodes import spot_checks
from keystone_api.episodes.inspection import decide
from keystone_api.episodes.models import Episode, EpisodeStatus, QaCheck
from keystone_api.episodes.review_schemas import BulkDecisionIn, InspectionFilters
from keystone_api.errors import Conflict, Invalid
from keystone_api.fleet.models import Robot
from keystone_api.settings import Settings

BULK_LIMIT = 2000  # episodes one decision may cover: more is a filter to narrow


def awaiting(factory_id: str | None, f: InspectionFilters) -> Select[Any]:
    """Episodes awaiting an inspector (flagged, or a pending spot check) that `f` selects,
    oldest assessment first."""
    flagged = Episode.status == EpisodeStatus.needs_inspection
    spot = (Episode.status == EpisodeStatus.auto_approved) & Episode.id.in_(
        spot_checks.pending_ids()
    )
    stmt = select(Episode).where(
        flagged if f.kind == "flagged" else spot if f.kind == "spot_check" else or_(flagged, spot)
    )
    if factory_id is not None:
        stmt = stmt.where(Episode.factory_id == factory_id)
    for name in ("robot_id", "workstation_id", "order_id", "batch_id"):
        value = getattr(f, name)
        if value is not None:
            stmt = stmt.where(getattr(Episode, name) == value)
    if f.robot_type_id is not None:
        of_type = select(Robot.id).where(Robot.robot_type_id == f.robot_type_id)
        stmt = stmt.where(Episode.robot_id.in_(of_type))
    if f.failed_check is not None:
        failed = select(QaCheck.episode_id).where(
            QaCheck.name == f.failed_check, QaCheck.passed.is_(False)
        )
        stmt = stmt.where(Episode.id.in_(failed))
    if f.score_min is not None:
        stmt = stmt.where(Episode.qa_score >= f.score_min)
    if f.score_max is not None:
        stmt = stmt.where(Episode.qa_score <= f.score_max)
    if f.landed_after is not None:
        stmt = stmt.where(Episode.landed_at >= f.landed_after)
    if f.landed_before is not None:
        stmt = stmt.where(Episode.landed_at < f.landed_before)
    return stmt.order_by(Episode.qa_assessed_at, Episode.landed_at, Episode.id)


def token_of(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


def _ids(session: Session, stmt: Select[Any], lock: bool = False) -> list[str]:
    ids_only = stmt.with_only_columns(Episode.id)
    if lock:
        ids_only = ids_only.with_for_update()
    return list(session.execute(ids_only).scalars())


def preview(session: Session, factory_id: str | None, f: InspectionFilters) -> dict[str, Any]:
    ids = _ids(session, awaiting(factory_id, f))
    spot = (
        set(
            session.execute(
                select(Episode.id).where(
                    Episode.id.in_(ids), Episode.id.in_(spot_checks.pending_ids())
                )
            ).scalars()
        )
        if ids
        else set()
    )
    return {
        "count": len(ids),
        "spot_checks": len(spot),
        "episode_ids": ids,
        "token": token_of(ids),
        "limit": BULK_LIMIT,
    }


def apply(
    session: Session,
    settings: Settings,
    factory_id: str | None,
    body: BulkDecisionIn,
    *,
    inspector_name: str,
    inspector_user_id: str | None,
) -> dict[str, Any]:
    ids = _ids(session, awaiting(factory_id, body.filters), lock=True)
    if token_of(ids) != body.token:
        raise Conflict(
            "the filtered set changed since the preview: preview again and confirm the new set",
            {"preview": preview(session, factory_id, body.filters)},
        )
    if not ids:
        raise Invalid("the filters select no episode awaiting an inspector")
    if len(ids) > BULK_LIMIT:
        raise Invalid(
            f"{len(ids)} episodes: one bulk decision covers at most {BULK_LIMIT}; narrow the "
            "filters (hours, robot type, station)"
        )
    notes = f"bulk decision over {len(ids)} episodes (set {body.token[:12]})"
    if body.notes.strip():
        notes = f"{notes}; {body.notes.strip()}"
    for episode_id in ids:
        decide(
            session,
            settings,
            episode_id,
            body.decision,
            inspector_name=inspector_name,
            inspector_user_id=inspector_user_id,
            reason=body.reason,
            notes=notes,
            source="api-bulk",
            factory_id=factory_id,
        )
    return {"decided": len(ids), "decision": body.decision, "episode_ids": ids}
