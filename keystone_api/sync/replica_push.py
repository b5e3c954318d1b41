"""Pushing the edge's operational records (organizations, orders, batches, tasks) to the
cloud's replicas: unidirectional, through the receiver's authenticated, idempotent
POST /api/v1/sync/replicas, upserted there by id and version.

What each answer means to the sender:
- 200: every record of the chunk applied or stale: their outbox rows are deleted.
- 403/422 naming records (error.details.refused): the cloud applied nothing of the chunk
  (a batch is all or nothing); the named records are parked in the outbox with the
  cloud's reason, for a person, and the rest is sent again at once. One refused record
  (another factory's, a version no edge makes, an organization this edge may not write)
  never holds back the good ones.
- anything else (network, 5xx, 429, an auth answer that names no record): nothing more
  is deleted; the next push sends the same records again (the cloud ignores versions it
  already has), so a partition only delays the replicas.
A record that cannot be encoded as JSON (e.g. NaN in a callback body) is parked here,
never sent, never counted as an outage.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.sync.errors import ReceiverRejected
from keystone_api.sync.link import CloudLink
from keystone_api.sync.models import ReplicaOutbox
from keystone_api.sync.replicas import pending_changes

log = logging.getLogger("keystone.sync.replicas")
CHUNK = 200
Key = tuple[str, str]  # (kind, record id)


@dataclass
class PushResult:
    sent: int = 0  # records the cloud took (applied or already had)
    refused: list[str] = field(default_factory=list)  # "kind id: reason", parked


def _key(record: dict[str, Any]) -> Key:
    return str(record["kind"]), str(record["id"])


def _unencodable(record: dict[str, Any]) -> str | None:
    try:
        json.dumps(record, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return f"cannot be encoded as JSON: {exc}"
    return None


def _named_refusals(response: httpx.Response) -> dict[Key, str]:
    if response.status_code not in (403, 422):
        return {}
    try:
        details = (response.json().get("error") or {}).get("details") or {}
        named = details.get("refused") if isinstance(details, dict) else None
    except (ValueError, AttributeError):
        return {}
    out: dict[Key, str] = {}
    for item in named if isinstance(named, list) else []:
        if isinstance(item, dict) and "kind" in item and "id" in item:
            reason = f"{item.get('code', 'refused')}: {item.get('message', '')}"
            out[(str(item["kind"]), str(item["id"]))] = reason[:2000]
    return out


def _send(link: CloudLink, chunk: list[dict[str, Any]]) -> dict[Key, str]:
    """The records the cloud refused by name ({} when it took the chunk); raises SyncError
    for any answer that is not about particular records."""
    response = link.post("/api/v1/sync/replicas", {"records": chunk})
    if response.status_code == 200:
        return {}
    refused = _named_refusals(response)
    if not refused.keys() & {_key(r) for r in chunk}:
        raise ReceiverRejected(
            f"replicas refused: {response.status_code} {response.text[:300]}",
            response.status_code,
        )
    return refused


def _settle(
    sessions: Callable[[], Session],
    outbox_ids: list[int],
    done: set[Key] | None,
    parked: dict[Key, str],
) -> None:
    """Delete the outbox rows of records the cloud took (`done`; None: every row read that
    is not parked) and park the refused ones with their reason."""
    now = utcnow()
    with sessions() as session, session.begin():
        rows = session.execute(
            select(ReplicaOutbox.id, ReplicaOutbox.kind, ReplicaOutbox.record_id).where(
                ReplicaOutbox.id.in_(outbox_ids)
            )
        ).all()
        took = [i for i, k, r in rows if (k, r) not in parked and (done is None or (k, r) in done)]
        if took:
            session.execute(delete(ReplicaOutbox).where(ReplicaOutbox.id.in_(took)))
        for i, kind, record_id in rows:
            reason = parked.get((kind, record_id))
            if reason is not None:
                session.execute(
                    update(ReplicaOutbox)
                    .where(ReplicaOutbox.id == i)
                    .values(refused_at=now, refusal=reason)
                )
        accepted = {(k, r) for _, k, r in rows if (k, r) not in parked} if done is None else done
        _forget_old_refusals(session, accepted)


def _forget_old_refusals(session: Session, accepted: set[Key]) -> None:
    """A record whose current state the cloud took has no refusal left to look at."""
    ids = sorted({r for _, r in accepted})
    if not ids:
        return
    old = session.execute(
        select(ReplicaOutbox.id, ReplicaOutbox.kind, ReplicaOutbox.record_id).where(
            ReplicaOutbox.refused_at.is_not(None), ReplicaOutbox.record_id.in_(ids)
        )
    ).all()
    stale = [i for i, k, r in old if (k, r) in accepted]
    if stale:
        session.execute(delete(ReplicaOutbox).where(ReplicaOutbox.id.in_(stale)))


def push_replicas(
    session_factory: Callable[[], Session], link: CloudLink, *, limit: int = 1000
) -> PushResult:
    """Push up to `limit` outbox rows' records. Raises SyncError when the cloud does not
    take them (what it took by then is settled; the rest is sent again next time)."""
    with session_factory() as session:
        outbox_ids, records = pending_changes(session, limit)
    if not outbox_ids:
        return PushResult()
    result = PushResult()
    parked: dict[Key, str] = {}
    done: set[Key] = set()
    good: list[dict[str, Any]] = []
    for record in records:
        problem = _unencodable(record)
        if problem is None:
            good.append(record)
        else:
            parked[_key(record)] = problem
    complete = False
    try:
        for start in range(0, len(good), CHUNK):
            chunk = good[start : start + CHUNK]
            while chunk:
                refused = _send(link, chunk)
                if not refused:
                    done |= {_key(r) for r in chunk}
                    result.sent += len(chunk)
                    break
                parked.update(refused)
                chunk = [r for r in chunk if _key(r) not in refused]
        complete = True
    finally:
        _settle(session_factory, outbox_ids, None if complete else done, parked)
        result.refused = [f"{kind} {record_id}: {why}" for (kind, record_id), why in parked.items()]
        for line in result.refused:
            log.warning("replica refused: %s", line)
    return result
