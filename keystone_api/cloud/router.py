"""The cloud role's sync endpoints, called by the edges' sync senders (service tokens)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import Principal, roles
from keystone_api.cloud import schemas as s
from keystone_api.cloud.replica_rules import Writer
from keystone_api.cloud.replicas import upsert_all
from keystone_api.cloud.service import receive_episode
from keystone_api.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1/sync", tags=["cloud sync"])
Service = Annotated[Principal, Depends(roles(Role.service))]


@router.post(
    "/episode",
    status_code=202,
    response_model=s.EpisodeAccepted,
    summary="Receive an approved episode whose objects are already in the cloud bucket",
    responses={
        409: {"model": s.AlreadySynced, "description": "Already received with these checksums"},
        422: {
            "description": "A checksum does not match the stored object (the body names it), "
            "or the episode was received before with other checksums (payload_changed)"
        },
    },
)
def receive_synced_episode(
    body: s.EpisodeDelivery, session: SessionDep, settings: SettingsDep, principal: Service
) -> Any:
    from keystone_api.storage.s3 import get_s3_client

    status, payload = receive_episode(
        session,
        get_s3_client(),
        settings.cloud_bucket,
        body,
        caller=principal.actor,
        caller_factory_id=principal.factory_id,
    )
    return JSONResponse(payload, status_code=status)


@router.post(
    "/replicas",
    response_model=s.ReplicaResult,
    summary="Upsert replicas of edge records (organizations, orders, batches, tasks)",
    responses={
        403: {
            "description": "A record belongs to a factory or organization this token may not "
            "write (error.details.refused names every refused record; nothing was applied)"
        },
        422: {
            "description": "A record's version jumps further than an edge can, or it names no "
            "owning factory (error.details.refused names them; nothing was applied)"
        },
    },
)
def upsert_replicas(body: s.ReplicaBatch, session: SessionDep, principal: Service) -> Any:
    # A service token writes an organization only when it claims it, or when it is
    # fleet-wide (bound to no factory): replica_rules.py.
    writer = Writer(principal.factory_id, principal.organization_id, principal.actor)
    applied, stale = upsert_all(session, body.records, writer)
    return s.ReplicaResult(applied=applied, stale=stale)
