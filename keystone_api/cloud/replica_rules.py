"""Who may write which replica, and how far one push may move its version.

Owners. Orders, batches and tasks belong to one factory: the record names it
(`data.factory_id`; the edge adds it to batches and tasks, whose tables have no such
column), a service token bound to a factory may only write its own factory's records, and
a replica keeps the owner it was first written with: a later push of the same id that
names another factory is refused, whoever sends it. An organization's metadata may be
written by a token whose `organization_id` claim names it, or by a fleet-wide service token
(bound to no factory and no organization, e.g. the development stack's); never by a token
bound only to a factory.

Versions. At the edge a record's version starts at 1 and grows by exactly one per committed
update of that row (Versioned's version_id_col for the ORM; the callbacks' Core writes bump
it by one too). The busiest records change a few dozen times in their life: a task moves
through at most seven states plus assignment, callbacks and upload retries; an order and a
batch change with their status and an operator's edits. So a push may raise a version by at
most MAX_VERSION_STEP over what the cloud has (0 for a new replica): 100,000 updates of one
record between two pushes is beyond any edge (at one update a second, 28 hours of a single
row changing without pause while the link is down), yet it keeps a hostile or corrupt
version 2.1 billion short of the INT column's end, so no push can freeze a replica at
2,147,483,647 against its real edge (the finding this closes). A version past the column's
end is refused outright, before the database sees it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from keystone_api.cloud.models import FACTORY_OWNED, ID
from keystone_api.cloud.schemas import ReplicaRecord
from keystone_api.errors import DomainError, Forbidden, Invalid

MAX_VERSION = 2**31 - 1  # the replicas' (and the edge's) INT version column
MAX_VERSION_STEP = 100_000
OWNERSHIP = frozenset({"wrong_factory", "owner_mismatch", "organization_not_allowed"})


@dataclass(frozen=True)
class Writer:
    """What the calling service token may write."""

    factory_id: str | None  # None: not bound to a factory
    organization_id: str | None
    actor: str

    @property
    def fleet_wide(self) -> bool:
        return self.factory_id is None and self.organization_id is None


@dataclass(frozen=True)
class Stored:
    """The replica as the cloud has it: its owner ('' unknown) and version."""

    owner: str
    version: int


@dataclass(frozen=True)
class Refusal:
    kind: str
    id: str
    version: int
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "version": self.version,
            "code": self.code,
            "message": self.message,
        }


class ReplicasRefused(Invalid):
    code = "replicas_refused"


class ReplicasForbidden(Forbidden):
    code = "replicas_refused"


def owner_of(record: ReplicaRecord) -> str | None:
    value = record.data.get("factory_id")
    return value if isinstance(value, str) and 0 < len(value) <= ID else None


def _ownership(record: ReplicaRecord, writer: Writer, stored: Stored | None) -> tuple[str, str]:
    """(code, message) when `writer` may not write this record, else ('', '')."""
    if record.kind not in FACTORY_OWNED:
        if writer.organization_id == record.id or writer.fleet_wide:
            return "", ""
        return (
            "organization_not_allowed",
            "this service token may not write organizations other than the one its "
            "organization_id claim names",
        )
    owner = owner_of(record)
    if owner is None:
        return "factory_missing", "data.factory_id must name the owning factory"
    if writer.factory_id is not None and owner != writer.factory_id:
        return "wrong_factory", f"this service token may only write factory '{writer.factory_id}'"
    if stored is not None and stored.owner and stored.owner != owner:
        return "owner_mismatch", "this id belongs to another factory's record in the cloud"
    return "", ""


def _version(record: ReplicaRecord, stored: Stored | None) -> tuple[str, str]:
    if record.version > MAX_VERSION:
        return "version_out_of_range", f"version {record.version} is beyond {MAX_VERSION}"
    current = stored.version if stored is not None else 0
    if record.version > current + MAX_VERSION_STEP:
        return (
            "version_jump",
            f"version {record.version} is more than {MAX_VERSION_STEP} above the cloud's "
            f"{current}: no edge makes that many changes of one record between two pushes",
        )
    return "", ""


def _data(record: ReplicaRecord) -> tuple[str, str]:
    try:
        json.dumps(record.data, allow_nan=False)
    except ValueError as exc:
        return "bad_data", f"data is not storable JSON: {exc}"
    return "", ""


def check(record: ReplicaRecord, writer: Writer, stored: Stored | None) -> Refusal | None:
    for rule in (_ownership(record, writer, stored), _version(record, stored), _data(record)):
        code, message = rule
        if code:
            text = f"{record.kind} '{record.id}' version {record.version}: {message}"
            return Refusal(record.kind, record.id, record.version, code, text)
    return None


def refused(refusals: list[Refusal], total: int) -> DomainError:
    """One error naming every refused record; 403 when any is another owner's."""
    names = "; ".join(r.message for r in refusals[:3])
    more = f" (and {len(refusals) - 3} more)" if len(refusals) > 3 else ""
    message = f"{len(refusals)} of {total} records refused, nothing was applied: {names}{more}"
    details = {"refused": [r.as_dict() for r in refusals]}
    if any(r.code in OWNERSHIP for r in refusals):
        return ReplicasForbidden(message, details)
    return ReplicasRefused(message, details)
