"""People who log in: admins, operators, collectors, inspectors (robots use device tokens)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from keystone_api.db.base import Base, Timestamps, enum_column_type, fk, id_column


class Role(StrEnum):
    admin = "admin"
    operator = "operator"
    collector = "collector"
    inspector = "inspector"
    robot = "robot"
    display = "display"  # read-only factory-floor screen
    service = "service"  # edge -> cloud sync


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
