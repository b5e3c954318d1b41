from __future__ import annotations

from datetime import datetime

from pydantic import Field

from keystone_api.accounts.models import Role
from keystone_api.common.schemas import In, Out


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
    display_name: str = Field("", max_length=200)
    factory_id: str | None = Field(None, max_length=64)


class UserPatch(In):
    password: str | None = Field(None, min_length=8, max_length=200)
    display_name: str | None = Field(None, max_length=200)
    active: bool | None = None


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
    ttl_s: int = Field(30 * 24 * 3600, ge=60, le=5 * 365 * 24 * 3600)
