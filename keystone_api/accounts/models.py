"""People who log in: admins, operators, collectors, inspectors (robots use device tokens)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from keystone_api.db.base import (
    Base,
    Revocable,
    Timestamps,
    enum_column_type,
    fk,
    id_column,
    utcnow,
)


class Role(StrEnum):
    admin = "admin"
    operator = "operator"
    collector = "collector"
    inspector = "inspector"
    robot = "robot"
    display = "display"  # read-only factory-floor screen
    service = "service"  # edge -> cloud sync
    # The cloud's data consumers: the episode catalog, its details and downloads, nothing
    # else (a cloud role: refused at an edge, whose routes were not written with it in mind).
    data_reader = "data_reader"


class User(Timestamps, Base):
    __tablename__ = "users"
    id: Mapped[str] = id_column()
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column_type(Role, "user_role"))
    # NULL for organisation-wide accounts (admins); set for factory staff.
    factory_id: Mapped[str | None] = fk("factories.id", default=None, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    # In every token of this user (`tv`); bumped by a password, role or activity change, so
    # that every token issued before stops working at once.
    token_version: Mapped[int] = mapped_column(Integer, default=1)

    def revoke_tokens(self) -> None:
        self.token_version = (self.token_version or 1) + 1


class ApiToken(Revocable, Base):
    """A minted tool, display or service token (never the token itself): listed for
    admins, revocable one by one. Its id is the token's `jti`."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_factory_created", "factory_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # No foreign keys: a cloud mints service tokens for factories and organizations that
    # exist at the edges, not in its own tables.
    role: Mapped[str] = mapped_column(String(16))
    factory_id: Mapped[str | None] = mapped_column(String(36), default=None)
    organization_id: Mapped[str | None] = mapped_column(String(36), default=None)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
