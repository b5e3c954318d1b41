"""The cloud's episode catalog API, for the people who consume the data: the cloud's admins
and data readers (read-only: the catalog, an episode's detail and its downloads)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import Principal, roles
from keystone_api.cloud import catalog, factory_summary
from keystone_api.cloud import catalog_schemas as s
from keystone_api.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])
CATALOG_ROLES = (Role.admin, Role.data_reader)
Reader = Annotated[Principal, Depends(roles(*CATALOG_ROLES))]


@router.get(
    "/episodes",
    response_model=s.CatalogPage,
    summary="List and search the episodes received from every factory (newest approval first)",
)
def list_episodes(
    q: Annotated[s.CatalogFilters, Query()], session: SessionDep, principal: Reader
) -> Any:
    return catalog.search(session, principal, q)


@router.get(
    "/facets",
    response_model=s.Facets,
    summary="The scenes, robot types, skills and labels the filters can take (at most 500 each)",
)
def get_facets(
    session: SessionDep,
    principal: Reader,
    factory_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> Any:
    return catalog.facets(session, principal, factory_id)


@router.get(
    "/episodes/{episode_id}",
    response_model=s.CatalogDetail,
    summary="One episode: its QA checks and findings, where it came from, its sidecar",
)
def get_episode(episode_id: str, session: SessionDep, principal: Reader) -> Any:
    return catalog.detail(session, principal, episode_id)


@router.get(
    "/episodes/{episode_id}/downloads",
    response_model=s.Downloads,
    summary="Presigned links to the episode's MCAP and sidecar in the cloud bucket",
    description="The links work for `expires_in` seconds; ask again for fresh ones.",
)
def get_downloads(
    episode_id: str, session: SessionDep, settings: SettingsDep, principal: Reader
) -> Any:
    from keystone_api.storage.s3 import get_s3_client

    return catalog.downloads(session, principal, get_s3_client(), settings.cloud_bucket, episode_id)


@router.get(
    "/factories",
    response_model=list[s.FactorySummary],
    summary="Per factory: episodes received, bytes, last approval and last sync",
)
def list_factories(session: SessionDep, principal: Reader) -> Any:
    return factory_summary.factories(session, principal)


@router.get(
    "/factories/{factory_id}",
    response_model=s.FactoryDetail,
    summary="One factory: totals, the last 24 hours, the approval-to-arrival lag, per day, "
    "per scene and robot type",
)
def get_factory(factory_id: str, session: SessionDep, principal: Reader) -> Any:
    return factory_summary.factory(session, principal, factory_id)
