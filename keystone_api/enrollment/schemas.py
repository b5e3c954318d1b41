"""Shapes of the enrollment-secret routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from keystone_api.common.schemas import Id, In, Label, ListQuery, Out

DAY = 24 * 3600


class SecretIn(In):
    factory_id: Id
    label: Label = Field("", examples=["line 3 robots, December"])
    one_time: bool = Field(False, description="Enrolls exactly one robot")
    ttl_s: int | None = Field(
        7 * DAY,
        ge=60,
        le=365 * DAY,
        description="Seconds until it expires (default 7 days); null: until revoked",
    )


class SecretOut(Out):
    id: str
    factory_id: str
    label: str
    hint: str = Field(description="The secret's first characters, to recognise it")
    one_time: bool
    expires_at: datetime | None
    uses: int
    last_used_at: datetime | None
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    active: bool = Field(description="Whether it enrolls robots now")


class SecretMinted(SecretOut):
    secret: str = Field(description="Shown once: only its SHA-256 is kept")
    enroll_url: str = Field(
        description="The --keystone-url to give `axon-config register` (the secret inside)"
    )


class SecretFilters(ListQuery):
    factory_id: str | None = Field(None, max_length=64)
    include_inactive: bool = Field(False, description="Also revoked, expired and used ones")
