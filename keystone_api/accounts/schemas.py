from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from keystone_api.accounts.models import Role
from keystone_api.common.schemas import In, Label, ListQuery, Out, Patch


class LoginIn(In):
    username: str = Field(min_length=1, max_length=100, examples=["alice"])
    password: str = Field(min_length=1, max_length=200, examples=["correct horse battery"])
    workstation_id: str | None = Field(
        None,
        max_length=64,
        description="Collectors: the workstation they log in at (pairs them with its robot).",
    )


class TokenOut(Out):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    role: Role


class UserIn(In):
    username: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=200)
    role: Role
    display_name: Label = ""
    factory_id: str | None = Field(None, max_length=64)


class UserPatch(Patch):
    password: str | None = Field(None, min_length=8, max_length=200)
    display_name: Label | None = None
    active: bool | None = None
    role: Role | None = None


class UserOut(Out):
    id: str
    username: str
    display_name: str
    role: Role
    factory_id: str | None
    active: bool
    last_login_at: datetime | None
    created_at: datetime


class MeOut(Out):
    kind: str
    role: Role
    subject: str
    name: str
    factory_id: str | None
    device_id: str | None = None
    data_collector_id: str | None = None


class TokenCreateIn(In):
    role: Role
    factory_id: str | None = Field(None, max_length=64)
    device_id: str | None = Field(None, max_length=64)
    organization_id: str | None = Field(
        None, max_length=64, description="Service tokens: the organization it may replicate"
    )
    label: Label = ""
    ttl_s: int = Field(30 * 24 * 3600, ge=60, le=5 * 365 * 24 * 3600)


class TokenMinted(TokenOut):
    id: str | None = Field(None, description="The record's id (DELETE /tokens/{id} revokes)")


class ApiTokenOut(Out):
    id: str
    kind: str
    role: str
    factory_id: str | None
    organization_id: str | None
    label: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None


class TokenFilters(ListQuery):
    kind: Literal["tool", "display", "service"] | None = None
    factory_id: str | None = Field(None, max_length=64)
    include_revoked: bool = False
