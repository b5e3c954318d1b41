"""Shared API shapes: strict inputs, ORM outputs, pages."""

from __future__ import annotations

import re
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

T = TypeVar("T")

# Characters that make a name show one thing and be another: controls (NUL ends a C string
# in the tools downstream, a newline forges a log line) and the bidirectional overrides and
# isolates (U+202A-202E, U+2066-2069) that reorder what a screen shows ("Trojan Source").
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_NOT_IN_NAMES = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_NOT_IN_TEXT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")


def _refuse(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        found = pattern.search(value)
        if found:
            raise ValueError(f"{what} may not contain the character U+{ord(found[0]):04X}")
        return value

    return AfterValidator(check)


single_line = _refuse(_NOT_IN_NAMES, "a name")
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), single_line
]
# A short single-line value that may be empty (a robot's name, a location).
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), single_line]
# Free text keeps tabs and line breaks, nothing else of the controls.
Text = Annotated[str, StringConstraints(max_length=20_000), _refuse(_NOT_IN_TEXT, "text")]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# An Axon device id: it becomes an object-key prefix and a store identity, so it starts with
# a letter or digit ('.' and '..' are path segments, not ids).
DEVICE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class In(BaseModel):
    """Request bodies: unknown fields are an error, so a typo never silently does nothing."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _NullClears:
    """The mark of a PATCH field whose column may be NULL (see `Nullable`)."""

    def __repr__(self) -> str:
        return "NullClears"


_NULL_CLEARS = _NullClears()
# A PATCH field whose column is nullable: an explicit null clears it (an order's deadline).
Nullable = Annotated[T | None, _NULL_CLEARS]


def accepts_null(model: type[BaseModel], name: str) -> bool:
    return _NULL_CLEARS in model.model_fields[name].metadata


def _no_null_in_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Document what Patch enforces: a required field's property does not offer null, so
    generated clients and the fuzzer do not send it (its "default: null" only meant
    "left out")."""
    for name, prop in schema.get("properties", {}).items():
        if name not in model.model_fields or accepts_null(model, name):
            continue
        options = [o for o in prop.get("anyOf", ()) if o != {"type": "null"}]
        if "anyOf" in prop:
            del prop["anyOf"]
            if len(options) == 1:
                prop.update(options[0])
            else:
                prop["anyOf"] = options
        if prop.get("default", ...) is None:
            del prop["default"]


class Patch(In):
    """PATCH bodies: a field left out keeps its value, and an explicit null is a 422 naming
    the field, unless the field is `Nullable` (its column may be NULL). Fields are declared
    `X | None = None` only so that they may be left out; without this, a null written into
    a NOT NULL column answered 500 (or was silently ignored, depending on the route)."""

    model_config = ConfigDict(json_schema_extra=_no_null_in_schema)

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        # Runs only on values the client sent: defaults are not validated.
        if value is None and info.field_name and not accepts_null(cls, info.field_name):
            raise PydanticCustomError(
                "null_not_allowed", "may not be null (leave it out to keep the current value)"
            )
        return value


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
