"""Request and response shapes of the scene registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from keystone_api.common.schemas import Id, In, Label, ListQuery, Name, Nullable, Out, Patch, Text


class ArchivedFilter(ListQuery):
    include_archived: bool = Field(False, description="Also list archived rows")
    name_contains: str | None = Field(None, max_length=200)


class OrganizationIn(In):
    name: Name = Field(examples=["ArcheBase Robotics"])
    description: Text = ""


class OrganizationPatch(Patch):
    name: Name | None = None
    description: Text | None = None


class OrganizationOut(Out):
    id: str
    name: str
    description: str
    version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None


class FactoryIn(In):
    organization_id: Id
    name: Name = Field(examples=["Factory Shanghai"])
    location: Label = Field("", examples=["Shanghai, Pudong"])
    timezone: Label = Field("UTC", max_length=64, examples=["Asia/Shanghai"])


class FactoryPatch(Patch):
    name: Name | None = None
    location: Label | None = None
    timezone: Label | None = Field(None, max_length=64)


class FactoryOut(Out):
    id: str
    organization_id: str
    name: str
    number: int
    location: str
    timezone: str
    created_at: datetime
    archived_at: datetime | None


class FactoryFilters(ArchivedFilter):
    organization_id: str | None = Field(None, max_length=64)


class SceneIn(In):
    factory_id: Id
    name: Name = Field(examples=["Kitchen line A"])
    description: Text = ""


class ScenePatch(Patch):
    name: Name | None = None
    description: Text | None = None


class SceneOut(Out):
    id: str
    factory_id: str
    name: str
    description: str
    created_at: datetime
    archived_at: datetime | None


class SceneFilters(ArchivedFilter):
    factory_id: str | None = Field(None, max_length=64)


class SubsceneIn(In):
    scene_id: Id
    robot_type_id: Id = Field(description="Subscenes require one robot type")
    name: Name = Field(examples=["Sink"])
    description: Text = ""
    skill_ids: list[Id] = Field(
        default_factory=list, max_length=200, description="Skills practised here, in order"
    )
    qa_spec: dict[str, Any] | None = Field(
        None, description="Overrides of the robot type's QA spec"
    )


class SubscenePatch(Patch):
    name: Name | None = None
    description: Text | None = None
    robot_type_id: Id | None = None
    skill_ids: list[Id] | None = Field(None, max_length=200)
    # null: no overrides, the robot type's QA spec applies as it is.
    qa_spec: Nullable[dict[str, Any]] = None


class SubsceneOut(Out):
    id: str
    scene_id: str
    robot_type_id: str
    name: str
    description: str
    skill_ids: list[str] = []
    qa_spec: dict[str, Any] | None
    created_at: datetime
    archived_at: datetime | None


class SubsceneFilters(ArchivedFilter):
    scene_id: str | None = Field(None, max_length=64)
    robot_type_id: str | None = Field(None, max_length=64)


class SkillIn(In):
    organization_id: Id
    name: Name = Field(examples=["fold towel"])
    description: Text = ""


class SkillPatch(Patch):
    name: Name | None = None
    description: Text | None = None


class SkillOut(Out):
    id: str
    organization_id: str
    name: str
    description: str
    created_at: datetime
    archived_at: datetime | None


class SkillFilters(ArchivedFilter):
    organization_id: str | None = Field(None, max_length=64)


class OperationIn(In):
    skill_id: Id
    position: int = Field(ge=0, le=10_000, description="Order of the step within the skill")
    name: Name = Field(examples=["grasp corner"])
    description: Text = ""


class OperationPatch(Patch):
    position: int | None = Field(None, ge=0, le=10_000)
    name: Name | None = None
    description: Text | None = None


class OperationOut(Out):
    id: str
    skill_id: str
    position: int
    name: str
    description: str


class OperationFilters(ListQuery):
    skill_id: str | None = Field(None, max_length=64)


class SopIn(In):
    skill_id: Id
    subscene_id: Id
    name: Name = Field(examples=["Towel folding v1"])
    content: Text = ""
    steps: list[str] = Field(default_factory=list, max_length=500)
    qa_spec: dict[str, Any] | None = None


class SopPatch(Patch):
    """Editing content, steps or QA spec creates a new version; the old one stays for tasks."""

    name: Name | None = None
    content: Text | None = None
    steps: list[str] | None = Field(None, max_length=500)
    qa_spec: Nullable[dict[str, Any]] = None  # null: the subscene's and robot type's apply


class SopOut(Out):
    id: str
    skill_id: str
    subscene_id: str
    name: str
    version_number: int
    content: str
    steps: list[Any]
    qa_spec: dict[str, Any] | None
    created_at: datetime
    archived_at: datetime | None


class SopFilters(ArchivedFilter):
    skill_id: str | None = Field(None, max_length=64)
    subscene_id: str | None = Field(None, max_length=64)
