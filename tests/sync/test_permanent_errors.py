"""Bad data is not an outage: an episode whose payload can never be sent (issue 15, #8: a
sidecar with NaN, ACKed and approved before sidecars were parsed strictly, then failed sync
forever as a "cloud outage") stops once with its reason, is not retried, does not hold back
the queue, is counted apart from it, and goes once a person fixes it and re-queues it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update

from keystone_api.db.engine import get_sessionmaker
from keystone_api.episodes.models import Episode
from keystone_api.settings import Settings
from keystone_api.sync.sender import drain
from tests.api.world import World, auth, ok
from tests.support.objects import sidecar_for
from tests.sync.conftest import Cloud
from tests.sync.helpers import approve, attempts, drain_all, landed, sync_rows

pytestmark = pytest.mark.usefixtures("drained")


def _replace_sidecar(s3: Any, episode: dict[str, Any], raw: bytes) -> None:
    """The edge's sidecar object and its recorded checksum, as if it had landed so."""
    s3.put_object(Bucket=episode["bucket"], Key=episode["sidecar_key"], Body=raw)
    with get_sessionmaker().begin() as session:
        session.execute(
            update(Episode)
            .where(Episode.id == episode["id"])
            .values(sidecar_sha256=hashlib.sha256(raw).hexdigest())
        )


def test_an_unsendable_sidecar_fails_once_with_its_reason_and_goes_once_fixed(
    world: World, s3: Any, cloud: Cloud, sync_settings: Callable[..., Settings]
) -> None:
    w = world
    w.order(target=3)
    bad = approve(landed(w, s3))
    _replace_sidecar(s3, bad, b'{"recording": {"duration_sec": NaN}}')
    good = approve(landed(w, s3))

    drain_all(sync_settings())
    rows = sync_rows([bad["id"], good["id"]])
    assert rows[good["id"]].state.value == "synced"  # not held back by the bad one
    failed = rows[bad["id"]]
    assert failed.state.value == "failed" and failed.next_attempt_at is None
    assert "NaN" in (failed.last_error or "") and "CloudUnavailable" not in failed.last_error
    assert [a.outcome for a in attempts(bad["id"])] == ["failed"]

    # Not retried: more drains (with time to spare) leave it alone.
    drain(get_sessionmaker(), sync_settings(), deadline=None)
    drain_all(sync_settings())
    assert len(attempts(bad["id"])) == 1
    assert bad["id"] not in cloud.episodes()

    # Shown apart from the queue, with its reason.
    status = ok(w.client.get("/api/v1/sync/status", headers=auth(w.admin)))
    assert status["failed"] >= 1 and status["counts"]["failed"] == status["failed"]
    listed = ok(w.client.get("/api/v1/sync/episodes?state=failed", headers=auth(w.admin)))
    mine = next(i for i in listed["items"] if i["episode_id"] == bad["id"])
    assert mine["error_kind"] == "permanent" and "NaN" in mine["last_error"]
    summary = ok(
        w.client.get(
            "/api/v1/stats/summary", params={"factory_id": w.factory_id}, headers=auth(w.admin)
        )
    )
    assert (summary["live"]["sync_failed"], summary["live"]["sync_queue_depth"]) == (1, 0)

    # A person fixes the sidecar and re-queues it (an operator may).
    data_sidecar = sidecar_for(bad["task_id"], b"")
    data_sidecar["recording"].pop("checksum_sha256")
    data_sidecar["recording"].pop("file_size_bytes")
    _replace_sidecar(s3, bad, json.dumps(data_sidecar).encode())
    operator = w.user("operator")
    body = {"episode_ids": [bad["id"]]}
    queued = ok(w.client.post("/api/v1/sync/queue", json=body, headers=auth(operator)))
    assert queued["queued"] == 1
    assert sync_rows([bad["id"]])[bad["id"]].state.value == "queued"
    drain_all(sync_settings())
    assert sync_rows([bad["id"]])[bad["id"]].state.value == "synced"
    assert cloud.episodes()[bad["id"]].sidecar == data_sidecar
    assert [a.outcome for a in attempts(bad["id"])] == ["failed", "synced"]


def test_a_transient_error_keeps_the_place_and_is_retried(
    world: World, s3: Any, cloud: Cloud, sync_settings: Callable[..., Settings]
) -> None:
    """The other side of the line: a cloud that does not answer is retried with backoff and
    the episodes after it wait (order), never parked as failed."""
    w = world
    w.order(target=2)
    first, second = approve(landed(w, s3)), approve(landed(w, s3, station=1))
    down = sync_settings(api="http://127.0.0.1:9", s3="http://127.0.0.1:9", sync_window=1)
    report = drain(get_sessionmaker(), down)
    assert report.errors and report.stopped == "backoff"
    rows = sync_rows([first["id"], second["id"]])
    assert {r.state.value for r in rows.values()} <= {"queued", "uploading"}
    assert rows[first["id"]].next_attempt_at is not None
    assert {a.outcome for a in attempts(first["id"])} == {"error"}  # retried, never "failed"
    assert attempts(second["id"]) == []  # waits behind the head
    drain_all(sync_settings())
    assert {r.state.value for r in sync_rows([first["id"], second["id"]]).values()} == {"synced"}
