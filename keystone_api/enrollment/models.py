"""Enrollment secrets: what a robot must show to register in a factory (axon-protocol.md
section 8: the unmodified `axon-config` sends it as HTTP Basic from its --keystone-url)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from keystone_api.db.base import Base, Revocable, Timestamps, fk, id_column, utcnow


class EnrollmentSecret(Timestamps, Revocable, Base):
    """Minted by an admin for one factory. Only the secret's SHA-256 is kept (the secret is
    256 random bits: a fast hash is enough, and lookups by it are one indexed read)."""

    __tablename__ = "enrollment_secrets"
    id: Mapped[str] = id_column()
    factory_id: Mapped[str] = fk("factories.id", index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # The secret's first characters, so an admin can tell which one a robot's URL holds.
    hint: Mapped[str] = mapped_column(String(8))
    one_time: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(100), default="")

    @property
    def active(self) -> bool:
        return self.refusal() is None

    def refusal(self) -> str | None:
        """Why this secret no longer enrolls anyone (None: it does)."""
        if self.revoked_at is not None:
            return "this enrollment secret was revoked"
        if self.expires_at is not None and self.expires_at <= utcnow():
            return "this enrollment secret has expired"
        if self.one_time and self.uses > 0:
            return "this one-time enrollment secret was already used"
        return None
