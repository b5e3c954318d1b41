"""Login, the caller's identity, user administration, minted tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.accounts import registry, service
from keystone_api.accounts.logins import login_guard
from keystone_api.accounts.models import ApiToken, Role, User
from keystone_api.accounts.principal import AdminPrincipal, CurrentPrincipal, Principal
from keystone_api.accounts.schemas import (
    ApiTokenOut,
    LoginIn,
    MeOut,
    TokenCreateIn,
    TokenFilters,
    TokenMinted,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from keystone_api.common.crud import get_or_404, page
from keystone_api.common.schemas import Page, Paging
from keystone_api.db.unit_of_work import db_call
from keystone_api.deps import SessionDep, SettingsDep
from keystone_api.errors import Forbidden, NotFound, Unauthorized
from keystone_api.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["accounts"])


def _login(session: Session, settings: Settings, body: LoginIn) -> TokenOut:
    user = service.authenticate(session, body.username, body.password)
    if body.workstation_id is not None:
        from keystone_api.fleet.workstations import collector_login

        collector_login(session, user, body.workstation_id)
    return TokenOut(
        access_token=service.user_token(settings, user),
        expires_in=settings.jwt_ttl_s,
        role=user.role,
    )


@router.post(
    "/auth/login",
    response_model=TokenOut,
    summary="Log in (collectors, inspectors, operators, admins)",
    description=(
        "Failed logins are limited per account and per client address: over the limit, 429 "
        "with Retry-After, whatever the password. At most a few password checks run at once; "
        "beyond a short queue, 429 at once."
    ),
)
async def login(body: LoginIn, request: Request, settings: SettingsDep) -> TokenOut:
    address = request.client.host if request.client else "unknown"
    guard = login_guard(request.app, settings)
    guard.admit(address, body.username)
    async with guard.password_check():
        # Again: the failures of the logins queued before this one count too (a burst of
        # 64 guesses for one account gets its first few checked, not 64).
        guard.admit(address, body.username)
        try:
            answer: TokenOut = await db_call(_login, settings, body)
        except Unauthorized:
            guard.failed(address, body.username)
            raise
    guard.succeeded(address, body.username)
    return answer


@router.get("/auth/me", response_model=MeOut, summary="Who the bearer token belongs to")
def me(principal: CurrentPrincipal) -> MeOut:
    return MeOut(
        kind=principal.kind,
        role=principal.role,
        subject=principal.subject,
        name=principal.name,
        factory_id=principal.factory_id,
        device_id=principal.device_id,
        data_collector_id=principal.data_collector_id,
    )


def _own_factory(admin: Principal, factory_id: str | None) -> str | None:
    """A factory's admin acts in its factory only (and mints nothing organisation-wide)."""
    if admin.factory_id is None:
        return factory_id
    if factory_id is None:
        return admin.factory_id
    if factory_id != admin.factory_id:
        raise NotFound(f"factory '{factory_id}' not found")
    return factory_id


@router.post("/users", response_model=UserOut, status_code=201, summary="Create an account")
def create_user(body: UserIn, session: SessionDep, admin: AdminPrincipal) -> User:
    if admin.factory_id is not None and body.factory_id != admin.factory_id:
        raise Forbidden("a factory's admin creates accounts of that factory only")
    return service.create_user(
        session,
        username=body.username,
        password=body.password,
        role=body.role,
        display_name=body.display_name,
        factory_id=body.factory_id,
    )


@router.get("/users", response_model=Page[UserOut], summary="List accounts")
def list_users(
    session: SessionDep,
    admin: AdminPrincipal,
    paging: Annotated[Paging, Depends()],
    role: Role | None = Query(None),
    factory_id: str | None = Query(None, max_length=64),
) -> dict:
    stmt = select(User).order_by(User.username)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if admin.factory_id is not None:
        stmt = stmt.where(User.factory_id == admin.factory_id)
    if factory_id is not None:
        stmt = stmt.where(User.factory_id == factory_id)
    items, total = page(session, stmt, paging.limit, paging.offset)
    return {"items": items, "total": total, "limit": paging.limit, "offset": paging.offset}


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    summary="Change password, name, role, or disable (password, role and status changes "
    "revoke the user's tokens)",
)
def patch_user(user_id: str, body: UserPatch, session: SessionDep, admin: AdminPrincipal) -> User:
    user = get_or_404(session, User, user_id, "user")
    admin.check_factory(user.factory_id, "user")
    if user.id == admin.subject and (body.role not in (None, user.role) or body.active is False):
        # The last admin must not lock everyone out by a slip; another admin can do it.
        raise Forbidden("an admin cannot demote or deactivate their own account")
    return service.change_user(session, user, body.model_dump(exclude_unset=True))


@router.post(
    "/tokens",
    response_model=TokenMinted,
    status_code=201,
    summary="Mint a token (tool, display, service; or a robot's device token)",
    description=(
        "Tool, display and service tokens are recorded (GET /tokens lists them, DELETE "
        "revokes one); the token itself is shown only here."
    ),
)
def create_token(
    body: TokenCreateIn, session: SessionDep, settings: SettingsDep, admin: AdminPrincipal
) -> Any:
    if body.device_id is not None or body.role == Role.robot:
        from keystone_api.fleet.devices import device_token_for

        token = device_token_for(session, settings, body.device_id, body.ttl_s, admin)
        return TokenMinted(access_token=token, expires_in=body.ttl_s, role=body.role)
    if body.organization_id is not None and admin.factory_id is not None:
        raise Forbidden("a factory's admin cannot mint a token for a whole organization")
    row, token = registry.mint_recorded(
        session,
        settings,
        body.role,
        ttl_s=body.ttl_s,
        factory_id=_own_factory(admin, body.factory_id),
        organization_id=body.organization_id,
        label=body.label,
        created_by=admin.actor,
    )
    return TokenMinted(access_token=token, expires_in=body.ttl_s, role=body.role, id=row.id)


@router.get("/tokens", response_model=Page[ApiTokenOut], summary="List minted tokens")
def list_tokens(
    q: Annotated[TokenFilters, Query()], session: SessionDep, admin: AdminPrincipal
) -> dict:
    stmt = select(ApiToken).order_by(ApiToken.created_at.desc())
    if admin.factory_id is not None:
        stmt = stmt.where(ApiToken.factory_id == admin.factory_id)
    if q.factory_id is not None:
        stmt = stmt.where(ApiToken.factory_id == q.factory_id)
    if q.kind is not None:
        stmt = stmt.where(ApiToken.kind == q.kind)
    if not q.include_revoked:
        stmt = stmt.where(ApiToken.revoked_at.is_(None))
    items, total = page(session, stmt, q.limit, q.offset)
    return {"items": items, "total": total, "limit": q.limit, "offset": q.offset}


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke a minted token")
def revoke_token(token_id: str, session: SessionDep, admin: AdminPrincipal) -> Response:
    row = get_or_404(session, ApiToken, token_id, "token")
    if admin.factory_id is not None and row.factory_id != admin.factory_id:
        raise NotFound(f"token '{token_id}' not found")
    registry.revoke(session, row, admin.actor)
    return Response(status_code=204)
