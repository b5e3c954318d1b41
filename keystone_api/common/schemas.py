"""Shared API shapes: strict inputs, ORM outputs, pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

T = TypeVar("T")

# Characters that make a name show one thing and be another: controls (NUL ends a C string
# in the tools downstream, a newline forges a log line) and the bidirectional overrides and
# isolates (U+202A-202E, U+2066-2069) that reorder what a screen shows ("Trojan Source").
# Written as regular-expression escapes: the same text is the check and the `pattern` the
# OpenAPI document shows, so clients (and the fuzzer's valid inputs) know the rule.
_BIDI = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_NOT_IN_NAMES = rf"\u0000-\u001f\u007f-\u009f{_BIDI}"
_NOT_IN_TEXT = rf"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f{_BIDI}"


@dataclass(frozen=True)
class _Refuse:
    """Annotated metadata: refuse a string holding one of `chars` (a regex class body),
    naming the first found; documented as a pattern of the allowed characters."""

    chars: str
    what: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        refused = re.compile(f"[{self.chars}]")

        def check(value: str) -> str:
            found = refused.search(value)
            if found:
                raise ValueError(f"{self.what} may not contain the character U+{ord(found[0]):04X}")
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = f"^[^{self.chars}]*$"
        return json_schema


single_line = _Refuse(_NOT_IN_NAMES, "a name")
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), single_line
]
# A short single-line value that may be empty (a robot's name, a location).
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), single_line]
# Free text keeps tabs and line breaks, nothing else of the controls.
Text = Annotated[str, StringConstraints(max_length=20_000), _Refuse(_NOT_IN_TEXT, "text")]
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
