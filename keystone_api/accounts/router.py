"""Login, the caller's identity, user administration, token minting."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from keystone_api.accounts import service
from keystone_api.accounts.models import Role, User
from keystone_api.accounts.principal import AdminPrincipal, CurrentPrincipal
from keystone_api.accounts.schemas import (
    LoginIn,
    MeOut,
    TokenCreateIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from keystone_api.accounts.tokens import TokenClaims, mint
from keystone_api.common.crud import get_or_404, page
from keystone_api.common.schemas import Page, Paging
from keystone_api.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post(
    "/auth/login",
    response_model=TokenOut,
    summary="Log in (collectors, inspectors, operators, admins)",
)
def login(body: LoginIn, session: SessionDep, settings: SettingsDep) -> TokenOut:
    user = service.authenticate(session, body.username, body.password)
    if body.workstation_id is not None:
        from keystone_api.fleet.workstations import collector_login

        collector_login(session, user, body.workstation_id)
    return TokenOut(
        access_token=service.user_token(settings, user),
        expires_in=settings.jwt_ttl_s,
        role=user.role,
    )


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


@router.post("/users", response_model=UserOut, status_code=201, summary="Create an account")
def create_user(body: UserIn, session: SessionDep, _: AdminPrincipal) -> User:
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
    _: AdminPrincipal,
    paging: Annotated[Paging, Depends()],
    role: Role | None = Query(None),
    factory_id: str | None = Query(None, max_length=64),
) -> dict:
    stmt = select(User).order_by(User.username)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if factory_id is not None:
        stmt = stmt.where(User.factory_id == factory_id)
    items, total = page(session, stmt, paging.limit, paging.offset)
    return {"items": items, "total": total, "limit": paging.limit, "offset": paging.offset}


@router.patch(
    "/users/{user_id}", response_model=UserOut, summary="Change password, name, or disable"
)
def patch_user(user_id: str, body: UserPatch, session: SessionDep, _: AdminPrincipal) -> User:
    from keystone_api.accounts.passwords import hash_password

    user = get_or_404(session, User, user_id, "user")
    if body.password is not None:
        user.password_hash = hash_password(body.password)
    if body.display_name is not None:
        user.display_name = body.display_name
    if body.active is not None:
        user.active = body.active
    return user


@router.post(
    "/tokens",
    response_model=TokenOut,
    status_code=201,
    summary="Mint a token (device, display, service) for tools and screens",
)
def create_token(
    body: TokenCreateIn, session: SessionDep, settings: SettingsDep, _: AdminPrincipal
) -> TokenOut:
    return TokenOut(
        access_token=mint_token(
            session, settings, body.role, body.factory_id, body.device_id, body.ttl_s
        ),
        expires_in=body.ttl_s,
        role=body.role,
    )


def mint_token(
    session,
    settings,
    role: Role,
    factory_id: str | None,
    device_id: str | None,  # type: ignore[no-untyped-def]
    ttl_s: int,
) -> str:
    """Shared by POST /tokens and `keystone token create`."""
    if device_id is not None or role == Role.robot:
        from keystone_api.fleet.devices import device_token_for

        return device_token_for(session, settings, device_id, ttl_s)
    kind = {Role.display: "display", Role.service: "service"}.get(role, "tool")
    subject = f"{role.value}-token"
    return mint(settings, TokenClaims(kind, subject, role.value, factory_id), ttl_s)
