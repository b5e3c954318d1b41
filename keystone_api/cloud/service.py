"""The receiver: record an approved episode from an edge exactly once, verified.

First delivery: the objects are checked in the cloud bucket (verify.py), the episode is
recorded, 202. The same episode again: 409 with the first `synced_at` when the checksums
are the same (the sender counts it as synced), 422 when they differ, and nothing is
overwritten. Records are never updated or removed.
"""

from __future__ import annotations

from typing import Any

from botocore.client import BaseClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keystone_api.cloud.catalog_facts import apply_facts
from keystone_api.cloud.models import CloudEpisode
from keystone_api.cloud.schemas import EpisodeDelivery
from keystone_api.cloud.verify import verify_delivery
from keystone_api.db.base import utcnow
from keystone_api.errors import Forbidden, Invalid


class PayloadChanged(Invalid):
    code = "payload_changed"


class BadObjectKey(Invalid):
    code = "bad_object_key"


def _check_keys(body: EpisodeDelivery) -> None:
    # A factory's delivery may only point at its own prefix of the shared cloud bucket.
    prefix = f"{body.factory_id}/"
    for name, key in (("mcap", body.objects.mcap), ("sidecar", body.objects.sidecar)):
        if not key.startswith(prefix) or ".." in key.split("/"):
            raise BadObjectKey(
                f"objects.{name}: must be a key under '{prefix}'", {"object": name, "key": key}
            )


def _repeat(row: CloudEpisode, body: EpisodeDelivery) -> tuple[int, dict[str, Any]]:
    if row.factory_id != body.factory_id:
        # Another factory's episode under this id: say nothing of it (no checksums, no time).
        raise Forbidden(f"episode '{row.episode_id}' belongs to another factory")
    if (row.mcap_sha256, row.sidecar_sha256) == (body.checksum.mcap, body.checksum.sidecar):
        return 409, {
            "synced_at": row.synced_at.isoformat(),
            "episode_id": row.episode_id,
            "error": {
                "code": "already_synced",
                "message": f"episode '{row.episode_id}' is already in the cloud",
            },
        }
    raise PayloadChanged(
        f"episode '{row.episode_id}' is already in the cloud with other checksums; "
        "nothing was changed",
        {
            "synced_at": row.synced_at.isoformat(),
            "stored": {"mcap": row.mcap_sha256, "sidecar": row.sidecar_sha256},
            "delivered": {"mcap": body.checksum.mcap, "sidecar": body.checksum.sidecar},
        },
    )


def receive_episode(
    session: Session,
    s3: BaseClient,
    bucket: str,
    body: EpisodeDelivery,
    *,
    caller: str,
    caller_factory_id: str | None,
) -> tuple[int, dict[str, Any]]:
    """(status, response body) for a delivery; raises the 4xx domain errors."""
    # A factory-bound token delivers its own factory's episodes only; the objects must be
    # under that factory's prefix (_check_keys) and an id already in the cloud must be that
    # factory's episode (_repeat).
    if caller_factory_id is not None and caller_factory_id != body.factory_id:
        raise Forbidden("this service token may only deliver its own factory's episodes")
    _check_keys(body)
    existing = session.get(CloudEpisode, body.episode_id)
    if existing is not None:
        return _repeat(existing, body)
    verified = verify_delivery(s3, bucket, body)
    row = CloudEpisode(
        episode_id=body.episode_id,
        factory_id=body.factory_id,
        approved_at=body.approved_at,
        mcap_key=body.objects.mcap,
        sidecar_key=body.objects.sidecar,
        mcap_sha256=body.checksum.mcap,
        sidecar_sha256=body.checksum.sidecar,
        mcap_size_bytes=verified.mcap_size,
        sidecar_size_bytes=verified.sidecar_size,
        sidecar=body.sidecar,
        verified_by=verified.verified_by,
        delivered_by=caller[:100],
        synced_at=utcnow(),
        qa_findings=[f.model_dump() for f in body.qa_findings],
    )
    tags = apply_facts(row, body.catalog)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()  # the episode first: it is what a concurrent delivery races for
            session.add_all(tags)
    except IntegrityError:
        # A concurrent first delivery of the same episode won the insert.
        session.expunge_all()
        winner = session.get(CloudEpisode, body.episode_id)
        assert winner is not None
        return _repeat(winner, body)
    return 202, {
        "episode_id": row.episode_id,
        "synced_at": row.synced_at.isoformat(),
        "verified_by": row.verified_by,
    }
