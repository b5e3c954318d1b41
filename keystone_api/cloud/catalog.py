"""The episode catalog across factories: list and search, one episode's detail, presigned
downloads. A principal bound to a factory (a reader token minted for one factory) sees that
factory only; another factory's episode is 404, as everywhere in Keystone."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from botocore.client import BaseClient
from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from keystone_api.accounts.principal import Principal
from keystone_api.cloud.catalog_facts import LABEL, ORIGIN, SKILL
from keystone_api.cloud.catalog_schemas import CatalogFilters
from keystone_api.cloud.models import CloudEpisode, CloudEpisodeTag
from keystone_api.common.crud import page
from keystone_api.errors import NotFound

# Short: a link leaks with whatever it is pasted into; the page asks for a fresh one on
# every click.
PRESIGN_TTL_S = 600


def _with_tag(kind: str, value: str) -> Any:
    tagged = select(CloudEpisodeTag.episode_id).where(
        CloudEpisodeTag.kind == kind, CloudEpisodeTag.value == value
    )
    return CloudEpisode.episode_id.in_(tagged)


def _filtered(principal: Principal, q: CatalogFilters) -> Select[Any]:
    e = CloudEpisode
    where = []
    if principal.factory_id is not None:
        where.append(e.factory_id == principal.factory_id)
    if q.factory_id is not None:
        where.append(e.factory_id == q.factory_id)
    if q.approved_from is not None:
        where.append(e.approved_at >= q.approved_from)
    if q.approved_to is not None:
        where.append(e.approved_at < q.approved_to)
    for column, value in ((e.scene, q.scene), (e.subscene, q.subscene)):
        if value is not None:
            where.append(column == value)
    if q.robot_type is not None:
        where.append(e.robot_type == q.robot_type)
    if q.score_min is not None:
        where.append(e.qa_score >= q.score_min)
    if q.score_max is not None:
        where.append(e.qa_score <= q.score_max)
    where += [_with_tag(SKILL, v) for v in q.skill] + [_with_tag(LABEL, v) for v in q.label]
    if q.order == "oldest":
        order = (e.approved_at.asc(), e.episode_id.asc())
    else:
        order = (e.approved_at.desc(), e.episode_id.desc())
    return select(e).where(and_(True, *where)).order_by(*order)


FACET_LIMIT = 500


def facets(session: Session, principal: Principal, factory_id: str | None) -> dict[str, Any]:
    """The values the filters can take (scenes, robot types, skills, labels), so the page
    suggests names that exist instead of making people guess their spelling."""
    e, t = CloudEpisode, CloudEpisodeTag
    where = []
    for bound in (principal.factory_id, factory_id):
        if bound is not None:
            where.append(e.factory_id == bound)

    def distinct(column: Any, *more: Any) -> list[str]:
        stmt = select(column).distinct().where(*where, *more, column != "")
        if column.class_ is t:
            stmt = stmt.join(e, e.episode_id == t.episode_id)
        return list(session.execute(stmt.order_by(column).limit(FACET_LIMIT)).scalars())

    return {
        "scenes": distinct(e.scene),
        "robot_types": distinct(e.robot_type),
        "skills": distinct(t.value, t.kind == SKILL),
        "labels": distinct(t.value, t.kind == LABEL),
    }


def tags_of(session: Session, episode_ids: list[str]) -> dict[str, dict[str, list[str]]]:
    """{episode_id: {"skill": [...], "label": [...]}} in one query."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: {SKILL: [], LABEL: []})
    if episode_ids:
        rows = session.execute(
            select(CloudEpisodeTag)
            .where(CloudEpisodeTag.episode_id.in_(episode_ids))
            .order_by(CloudEpisodeTag.value)
        ).scalars()
        for tag in rows:
            found[tag.episode_id][tag.kind].append(tag.value)
    return found


def _duration(sidecar: dict[str, Any]) -> float | None:
    recording = sidecar.get("recording") if isinstance(sidecar, dict) else None
    value = recording.get("duration_sec") if isinstance(recording, dict) else None
    return float(value) if isinstance(value, int | float) else None


def row_out(row: CloudEpisode, tags: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "episode_id": row.episode_id,
        "factory_id": row.factory_id,
        "factory_name": row.factory_name,
        "approved_at": row.approved_at,
        "synced_at": row.synced_at,
        "scene": row.scene,
        "subscene": row.subscene,
        "robot_type": row.robot_type,
        "device_id": row.device_id,
        "workstation": row.workstation,
        "qa_score": row.qa_score,
        "skills": tags[SKILL],
        "labels": tags[LABEL],
        "duration_s": _duration(row.sidecar),
        "mcap_size_bytes": row.mcap_size_bytes,
        "sidecar_size_bytes": row.sidecar_size_bytes,
        "findings": len(row.qa_findings or []),
    }


def search(session: Session, principal: Principal, q: CatalogFilters) -> dict[str, Any]:
    rows, total = page(session, _filtered(principal, q), q.limit, q.offset)
    tags = tags_of(session, [r.episode_id for r in rows])
    items = [row_out(r, tags[r.episode_id]) for r in rows]
    return {"items": items, "total": total, "limit": q.limit, "offset": q.offset}


def load(session: Session, principal: Principal, episode_id: str) -> CloudEpisode:
    row = session.get(CloudEpisode, episode_id)
    if row is None or not principal.sees_factory(row.factory_id):
        raise NotFound(f"episode '{episode_id}' not found")
    return row


def detail(session: Session, principal: Principal, episode_id: str) -> dict[str, Any]:
    row = load(session, principal, episode_id)
    out = row_out(row, tags_of(session, [row.episode_id])[row.episode_id])
    names = ("factory_id", *ORIGIN, "delivered_by", "synced_at")
    origin = {name: getattr(row, name) for name in names}
    origin["lag_s"] = max((row.synced_at - row.approved_at).total_seconds(), 0.0)
    return out | {
        "origin": origin,
        "mcap_sha256": row.mcap_sha256,
        "sidecar_sha256": row.sidecar_sha256,
        "verified_by": row.verified_by,
        "qa_checks": row.qa_checks or [],
        "qa_findings": row.qa_findings or [],
        "sidecar": row.sidecar,
    }


def downloads(
    session: Session, principal: Principal, s3: BaseClient, bucket: str, episode_id: str
) -> dict[str, Any]:
    """Presigned GETs of the MCAP and the sidecar in the cloud bucket, saved under the
    episode's id (the keys end in data.mcap and sidecar.json for every episode)."""
    row = load(session, principal, episode_id)
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", row.episode_id)  # a header-safe file name
    objects = (
        ("mcap", row.mcap_key, f"{stem}.mcap", row.mcap_size_bytes, row.mcap_sha256),
        ("sidecar", row.sidecar_key, f"{stem}.json", row.sidecar_size_bytes, row.sidecar_sha256),
    )
    links = [
        {
            "name": name,
            "filename": filename,
            "url": s3.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": bucket,
                    "Key": key,
                    "ResponseContentDisposition": f'attachment; filename="{filename}"',
                },
                ExpiresIn=PRESIGN_TTL_S,
            ),
            "size_bytes": size,
            "sha256": sha,
        }
        for name, key, filename, size, sha in objects
    ]
    return {"episode_id": row.episode_id, "expires_in": PRESIGN_TTL_S, "links": links}
