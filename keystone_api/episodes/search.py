"""Episode search: the one place the list route, its CSV export and the dashboard's
Episodes page turn EpisodeFilters into SQL.

Free text is a LIKE over `episodes.task_text`, the sidecar's task fields stored once at
landing (task_text() below: lower-cased, one field per line). Not MariaDB's FULLTEXT: it
must behave the same on SQLite (`make dev`), FULLTEXT finds whole words only (not a part
of an id such as "0042" in "task_0042"), ignores words under three letters and stopwords,
and would be a second index to keep. LIKE '%...%' reads the column of every row the other
filters leave, which is why the page and the API always combine it with the factory's
episodes and usually a time window; the stored text is a few hundred bytes per episode.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from keystone_api.common.crud import page
from keystone_api.episodes.labels import EpisodeLabel, labels_of
from keystone_api.episodes.models import Episode, QaCheck
from keystone_api.episodes.schemas import EpisodeFilters
from keystone_api.registry.models import SubsceneSkill
from keystone_api.sync.models import EpisodeSync, SyncState

TEXT_LIMIT = 4000
# Columns compared for equality, by filter name.
EQUAL = (
    "factory_id",
    "order_id",
    "batch_id",
    "workstation_id",
    "robot_id",
    "data_collector_id",
    "scene_id",
    "subscene_id",
    "recalled",
    "qa_passed",
)


def _words(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int | float):
        return [str(value)]
    if isinstance(value, list):
        return [w for item in value for w in _words(item)]
    return []


def task_text(sidecar: dict[str, Any] | None) -> str:
    """What free text searches: the values of the sidecar's `task` block (the protocol's
    task_id, scene, subscene, skills, factory, order_id, data_collector_id,
    operator_name, and whatever else a recorder puts there), one per line, lower-cased."""
    task = sidecar.get("task") if isinstance(sidecar, dict) else None
    if not isinstance(task, dict):
        return ""
    words = [w.strip() for value in task.values() for w in _words(value)]
    return "\n".join(w for w in words if w).lower()[:TEXT_LIMIT]


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered(base: Select[Any], f: EpisodeFilters) -> Select[Any]:
    """`base` (the caller's visible episodes) narrowed by every filter, newest first."""
    e = Episode
    where: list[Any] = [
        getattr(e, name) == getattr(f, name) for name in EQUAL if getattr(f, name) is not None
    ]
    if f.status:
        where.append(e.status.in_(f.status))
    if f.landed_after is not None:
        where.append(e.landed_at >= f.landed_after)
    if f.landed_before is not None:
        where.append(e.landed_at < f.landed_before)
    if f.synced is not None:
        synced = select(EpisodeSync.episode_id).where(EpisodeSync.state == SyncState.synced)
        where.append(e.id.in_(synced) if f.synced else e.id.not_in(synced))
    if f.skill_id is not None:
        with_skill = select(SubsceneSkill.subscene_id).where(SubsceneSkill.skill_id == f.skill_id)
        where.append(e.subscene_id.in_(with_skill))
    if f.failed_check is not None:
        failed = select(QaCheck.episode_id).where(
            QaCheck.name == f.failed_check, QaCheck.passed.is_(False)
        )
        where.append(e.id.in_(failed))
    if f.score_min is not None:
        where.append(e.qa_score >= f.score_min)
    if f.score_max is not None:
        where.append(e.qa_score <= f.score_max)
    for label in dict.fromkeys(f.label):
        where.append(e.id.in_(select(EpisodeLabel.episode_id).where(EpisodeLabel.label == label)))
    if f.q is not None:
        where.append(func.lower(e.task_text).like(_like(f.q), escape="\\"))
    return base.where(and_(True, *where)).order_by(e.landed_at.desc(), e.id.desc())


def failed_checks_of(session: Session, episode_ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {i: [] for i in episode_ids}
    if episode_ids:
        rows = session.execute(
            select(QaCheck.episode_id, QaCheck.name)
            .where(QaCheck.episode_id.in_(episode_ids), QaCheck.passed.is_(False))
            .order_by(QaCheck.name)
        )
        for episode_id, name in rows:
            if name not in found[episode_id]:  # one name once, were results kept as history
                found[episode_id].append(name)
    return found


def search(session: Session, base: Select[Any], f: EpisodeFilters) -> dict[str, Any]:
    """A page of EpisodeListItem-shaped rows: the episode, its labels and failed checks."""
    rows, total = page(session, filtered(base, f), f.limit, f.offset)
    ids = [r.id for r in rows]
    labels, failed = labels_of(session, ids), failed_checks_of(session, ids)
    items = [
        {
            **{c.key: getattr(r, c.key) for c in Episode.__table__.columns},
            "labels": labels[r.id],
            "failed_checks": failed[r.id],
        }
        for r in rows
    ]
    return {"items": items, "total": total, "limit": f.limit, "offset": f.offset}
