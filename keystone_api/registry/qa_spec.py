"""The one check of a QA spec written through the API: a robot type's spec and the
overrides of its subscenes and SOPs.

QA merges them (`QaSpec.merge(robot_type, subscene, sop)`) when it assesses a recording, so
a spec that does not validate would fail every QA run that reaches it; it is refused when
written instead, by the validator's own model. An override sets only some fields, and every
field of the model has a default and is checked on its own, so an override is checked
exactly as a whole spec is.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from keystone_api.errors import Invalid
from keystone_pipelines.validator.spec import QaSpec


def check_qa_spec(spec: dict[str, Any] | None, field: str = "qa_spec") -> None:
    """Refuse (422) a spec the validator would not read, naming the first bad field."""
    if not spec:
        return  # none: the robot type's (or the defaults) apply as they are
    try:
        QaSpec.model_validate(spec)
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join((field, *(str(part) for part in e["loc"]))),
                "message": e["msg"],
                "type": e["type"],
            }
            for e in exc.errors()
        ]
        first = errors[0]
        raise Invalid(f"{first['field']}: {first['message']}", errors) from None
