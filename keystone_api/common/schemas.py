"""Shared API shapes: strict inputs, ORM outputs, pages."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

T = TypeVar("T")

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=20_000)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class In(BaseModel):
    """Request bodies: unknown fields are an error, so a typo never silently does nothing."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="Rows matching the filters")
    limit: int
    offset: int


class Paging(BaseModel):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


class ListQuery(In):
    """Query parameters of a list: paging plus the resource's filters. Unknown parameters
    are a 422, so a misspelt filter never silently returns everything."""

    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)

    def filters(self) -> dict[str, object]:
        return self.model_dump(exclude_none=True, exclude={"limit", "offset"})
