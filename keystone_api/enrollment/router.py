"""Admins mint, list and revoke the factories' enrollment secrets."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Query, Response
from sqlalchemy import or_, select

from keystone_api.accounts.principal import AdminPrincipal
from keystone_api.common.crud import get_or_404, page
from keystone_api.common.schemas import Page
from keystone_api.db.base import utcnow
from keystone_api.deps import SessionDep, SettingsDep
from keystone_api.enrollment import service
from keystone_api.enrollment.models import EnrollmentSecret
from keystone_api.enrollment.schemas import SecretFilters, SecretIn, SecretMinted, SecretOut
from keystone_api.registry.models import Factory
from keystone_api.settings import Settings

router = APIRouter(prefix="/api/v1/enrollment-secrets", tags=["robots"])


def enroll_url(settings: Settings, secret: str) -> str:
    parts = urlsplit(settings.public_base_url)
    return urlunsplit(parts._replace(netloc=f"enroll:{secret}@{parts.netloc}"))


@router.post(
    "",
    response_model=SecretMinted,
    status_code=201,
    summary="Mint an enrollment secret for a factory (the secret is shown once)",
)
def create(
    body: SecretIn, session: SessionDep, settings: SettingsDep, admin: AdminPrincipal
) -> Any:
    factory = get_or_404(session, Factory, body.factory_id, "factory")
    admin.check_factory(factory.id, "factory")
    row, secret = service.mint(
        session,
        factory.id,
        label=body.label,
        one_time=body.one_time,
        ttl_s=body.ttl_s,
        created_by=admin.actor,
    )
    out = SecretOut.model_validate(row).model_dump()
    return SecretMinted(**out, secret=secret, enroll_url=enroll_url(settings, secret))


@router.get(
    "",
    response_model=Page[SecretOut],
    summary="List enrollment secrets (never the secrets themselves)",
)
def list_secrets(
    q: Annotated[SecretFilters, Query()], session: SessionDep, admin: AdminPrincipal
) -> Any:
    stmt = select(EnrollmentSecret).order_by(EnrollmentSecret.created_at.desc())
    factory_id = admin.factory_id or q.factory_id
    if factory_id is not None:
        stmt = stmt.where(EnrollmentSecret.factory_id == factory_id)
    if not q.include_inactive:
        now = utcnow()
        stmt = stmt.where(
            EnrollmentSecret.revoked_at.is_(None),
            or_(EnrollmentSecret.expires_at.is_(None), EnrollmentSecret.expires_at > now),
            or_(EnrollmentSecret.one_time.is_(False), EnrollmentSecret.uses == 0),
        )
    items, total = page(session, stmt, q.limit, q.offset)
    return {"items": items, "total": total, "limit": q.limit, "offset": q.offset}


@router.delete("/{secret_id}", status_code=204, summary="Revoke an enrollment secret")
def revoke(secret_id: str, session: SessionDep, admin: AdminPrincipal) -> Response:
    row = service.get(session, secret_id)
    admin.check_factory(row.factory_id, "enrollment secret")
    service.revoke(session, row, admin.actor)
    return Response(status_code=204)
