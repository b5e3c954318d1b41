"""Scene registry: the tenant, its factories, where work happens and how it is done."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from keystone_api.db.base import Archivable, Base, Timestamps, Versioned, fk, id_column


class Organization(Timestamps, Archivable, Versioned, Base):
    """Top-level tenant; replicated to the cloud (metadata only)."""

    __tablename__ = "organizations"
    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class Factory(Timestamps, Archivable, Base):
    """A physical site; its recordings live in the bucket `edge-{factory_id}`."""

    __tablename__ = "factories"
    id: Mapped[str] = id_column()
    organization_id: Mapped[str] = fk("organizations.id", index=True)
    # Robots register by factory name (Axon's `axon-config register`), so names are unique.
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # Small sequence number used in Axon-style device ids (AB-F%04d-...).
    number: Mapped[int] = mapped_column(Integer, unique=True)
    location: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")


class Scene(Timestamps, Archivable, Base):
    """An operational zone within a factory."""

    __tablename__ = "scenes"
    __table_args__ = (UniqueConstraint("factory_id", "name"),)
    id: Mapped[str] = id_column()
    factory_id: Mapped[str] = fk("factories.id", index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class Subscene(Timestamps, Archivable, Base):
    """A sub-zone that requires one robot type."""

    __tablename__ = "subscenes"
    __table_args__ = (UniqueConstraint("scene_id", "name"),)
    id: Mapped[str] = id_column()
    scene_id: Mapped[str] = fk("scenes.id", index=True)
    robot_type_id: Mapped[str] = fk("robot_types.id", index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Overrides merged over the robot type's QA spec for recordings made here.
    qa_spec: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    skill_links: Mapped[list[SubsceneSkill]] = relationship(
        order_by="SubsceneSkill.position", viewonly=True, lazy="selectin"
    )

    @property
    def skill_ids(self) -> list[str]:
        return [link.skill_id for link in self.skill_links]


class Skill(Timestamps, Archivable, Base):
    """Something a robot is taught (e.g. 'fold towel')."""

    __tablename__ = "skills"
    id: Mapped[str] = id_column()
    organization_id: Mapped[str] = fk("organizations.id", index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (UniqueConstraint("organization_id", "name"),)


class SubsceneSkill(Base):
    """Which skills are practised in which subscene."""

    __tablename__ = "subscene_skills"
    subscene_id: Mapped[str] = fk("subscenes.id", primary_key=True)
    skill_id: Mapped[str] = fk("skills.id", primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Operation(Timestamps, Base):
    """An ordered step of a skill."""

    __tablename__ = "operations"
    __table_args__ = (UniqueConstraint("skill_id", "position"),)
    id: Mapped[str] = id_column()
    skill_id: Mapped[str] = fk("skills.id", index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class Sop(Timestamps, Archivable, Base):
    """A standard operating procedure, one row per version.

    Editing an SOP adds a version; a task keeps the row (the version) it was created with.
    """

    __tablename__ = "sops"
    __table_args__ = (UniqueConstraint("skill_id", "subscene_id", "name", "version_number"),)
    id: Mapped[str] = id_column()
    skill_id: Mapped[str] = fk("skills.id", index=True)
    subscene_id: Mapped[str] = fk("subscenes.id", index=True)
    name: Mapped[str] = mapped_column(String(200))
    version_number: Mapped[int] = mapped_column(Integer, default=1)
    content: Mapped[str] = mapped_column(Text, default="")
    steps: Mapped[list[Any]] = mapped_column(default=list)
    # Overrides merged over the subscene's QA spec.
    qa_spec: Mapped[dict[str, Any] | None] = mapped_column(default=None)
