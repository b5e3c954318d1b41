"""Episode registry, inspection, and presigned downloads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import (
    CurrentPrincipal,
    InspectorPrincipal,
    Principal,
    StaffPrincipal,
)
from keystone_api.common.schemas import Page
from keystone_api.deps import SessionDep, SettingsDep
from keystone_api.episodes import labels
from keystone_api.episodes import schemas as s
from keystone_api.episodes.annotations import of_episode as annotations_of
from keystone_api.episodes.models import (
    Episode,
    EpisodeStatusChange,
    InspectionDecision,
    QaCheck,
)
from keystone_api.episodes.review_models import SpotCheck
from keystone_api.episodes.search import search
from keystone_api.errors import NotFound
from keystone_api.orders.access import collector_workstation_ids
from keystone_api.stats.export import to_csv
from keystone_api.sync.models import EpisodeSync

router = APIRouter(prefix="/api/v1", tags=["episodes"])
PRESIGN_TTL_S = 3600


def visible_episodes(session: Any, principal: Principal) -> Any:
    stmt = select(Episode)
    if principal.factory_id is not None:
        stmt = stmt.where(Episode.factory_id == principal.factory_id)
    if principal.role == Role.collector:
        stmt = stmt.where(Episode.workstation_id.in_(collector_workstation_ids(session, principal)))
    return stmt


def load_episode(session: Any, principal: Principal, episode_id: str) -> Episode:
    episode = session.execute(
        visible_episodes(session, principal).where(Episode.id == episode_id)
    ).scalar_one_or_none()
    if episode is None:
        raise NotFound(f"episode '{episode_id}' not found")
    return episode


@router.get(
    "/episodes", response_model=Page[s.EpisodeListItem], summary="Search and filter episodes"
)
def list_episodes(
    session: SessionDep,
    principal: CurrentPrincipal,
    filters: Annotated[s.EpisodeFilters, Query()],
) -> Any:
    principal.require(Role.admin, Role.operator, Role.inspector, Role.collector)
    return search(session, visible_episodes(session, principal), filters)


@router.get(
    "/episodes.csv",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    summary="The same search as CSV: every match up to 10,000 rows (X-Total-Count: all)",
)
def list_episodes_csv(
    session: SessionDep,
    principal: CurrentPrincipal,
    filters: Annotated[s.EpisodeExport, Query()],
) -> Response:
    principal.require(Role.admin, Role.operator, Role.inspector, Role.collector)
    found = search(session, visible_episodes(session, principal), filters)
    import pandas as pd  # only here: most requests never export

    rows = [s.EpisodeCsvRow.model_validate(item).model_dump() for item in found["items"]]
    body = to_csv(pd.DataFrame(rows, columns=list(s.EpisodeCsvRow.model_fields)))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="episodes.csv"',
            "X-Total-Count": str(found["total"]),  # the rows matching, were there more
        },
    )


@router.get(
    "/episode-labels",
    response_model=list[s.LabelInUse],
    summary="The labels on your episodes, with how many carry each (at most 500)",
)
def labels_in_use(session: SessionDep, principal: CurrentPrincipal) -> Any:
    principal.require(Role.admin, Role.operator, Role.inspector, Role.collector)
    return labels.in_use(session, visible_episodes(session, principal))


@router.get(
    "/episodes/{episode_id}/labels",
    response_model=list[s.LabelOut],
    summary="An episode's labels, with who set each and when",
)
def get_labels(episode_id: str, session: SessionDep, principal: CurrentPrincipal) -> Any:
    principal.require(Role.admin, Role.operator, Role.inspector, Role.collector)
    return labels.rows_of(session, load_episode(session, principal, episode_id).id)


@router.post(
    "/episodes/{episode_id}/labels",
    response_model=list[s.LabelOut],
    summary="Label an episode (normalized: 'Night Shift' is night-shift); idempotent",
)
def add_label(
    episode_id: str, body: s.LabelAdd, session: SessionDep, principal: InspectorPrincipal
) -> Any:
    episode = load_episode(session, principal, episode_id)
    return labels.add_label(session, episode.id, body.label, principal.name)


@router.delete(
    "/episodes/{episode_id}/labels/{label}",
    response_model=list[s.LabelOut],
    summary="Take a label off an episode (404 when it has no such label)",
)
def remove_label(
    episode_id: str,
    label: Annotated[s.LabelIn, Path()],
    session: SessionDep,
    principal: InspectorPrincipal,
) -> Any:
    episode = load_episode(session, principal, episode_id)
    return labels.remove_label(session, episode.id, label)


@router.get(
    "/episodes/{episode_id}",
    response_model=s.EpisodeDetail,
    summary="An episode with its sidecar facts, QA checks, decisions, history, sync",
)
def get_episode(episode_id: str, session: SessionDep, principal: CurrentPrincipal) -> Any:
    principal.require(Role.admin, Role.operator, Role.inspector, Role.collector)
    ep = load_episode(session, principal, episode_id)

    def rows(model: Any, order: Any) -> list[Any]:
        return list(
            session.execute(
                select(model).where(model.episode_id == ep.id).order_by(order)
            ).scalars()
        )

    return s.EpisodeDetail.model_validate(
        {
            **{
                k: getattr(ep, k)
                for k in s.EpisodeDetail.model_fields
                if k not in ("checks", "decisions", "history", "sync", "labels")
                and k not in ("annotations", "spot_check")
            },
            "labels": labels.labels_of(session, [ep.id])[ep.id],
            "checks": rows(QaCheck, QaCheck.name),
            "decisions": rows(InspectionDecision, InspectionDecision.decided_at),
            "history": rows(EpisodeStatusChange, EpisodeStatusChange.at),
            "sync": session.get(EpisodeSync, ep.id),
            "annotations": annotations_of(session, ep.id),
            "spot_check": session.get(SpotCheck, ep.id),
        }
    )


@router.get(
    "/episodes/{episode_id}/downloads",
    response_model=s.DownloadsOut,
    summary="Presigned download links: MCAP, sidecar, evidence pictures",
)
def downloads(episode_id: str, session: SessionDep, principal: InspectorPrincipal) -> Any:
    from keystone_api.storage.s3 import get_s3_client

    ep = load_episode(session, principal, episode_id)
    client = get_s3_client()
    objects = [("mcap", ep.mcap_key)]
    if ep.sidecar_key:
        objects.append(("sidecar", ep.sidecar_key))
    objects += [(f"evidence:{k.rsplit('/', 1)[-1]}", k) for k in ep.evidence_keys or []]
    links = [
        s.DownloadLink(
            name=name,
            key=key,
            url=client.generate_presigned_url(
                "get_object", Params={"Bucket": ep.bucket, "Key": key}, ExpiresIn=PRESIGN_TTL_S
            ),
        )
        for name, key in objects
    ]
    return s.DownloadsOut(episode_id=ep.id, expires_in=PRESIGN_TTL_S, links=links)


@router.post(
    "/episodes/landed",
    response_model=s.EpisodeOut,
    status_code=201,
    summary="Register a recording already in the bucket (verified first; idempotent)",
)
def register_landed(
    body: s.LandedIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: StaffPrincipal,
) -> Any:
    from keystone_api.episodes.landing import land
    from keystone_api.orders.access import load_task
    from keystone_api.orders.models import Order
    from keystone_api.storage.layout import parse_key
    from keystone_api.storage.s3 import get_s3_client

    task = load_task(session, principal, body.task_id)
    key = parse_key(body.mcap_key)
    if key is None or key.kind != "mcap" or key.task_id != task.id:
        raise NotFound("mcap_key: not a recording key of this task in either layout")
    order = session.get(Order, task.order_id)
    assert order is not None
    landing = land(
        session,
        get_s3_client(),
        settings.bucket_for(order.factory_id),
        key,
        task,
        actor=principal.actor,
        source="api",
        expected_sha256=body.expected_sha256,
    )
    return landing.episode
