"""A real recorder's file without schema text (tests/data/axon-real) through the edge and
to the cloud: QA approves it with a perfect score, and its EMPTY_SCHEMA warning is on the
episode an inspector opens and on the episode the cloud keeps."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from keystone_api.db.engine import get_sessionmaker
from keystone_api.episodes.models import Episode
from keystone_api.episodes.qa import record_qa_result
from keystone_api.settings import Settings, get_settings
from keystone_api.storage.layout import axon_keys
from keystone_api.sync.findings import delivered_findings
from keystone_pipelines.qa.assess import validate_episode
from tests.api.flows import callback, finish_body, start_body, take_task
from tests.api.world import World, auth, ok
from tests.support.axon_files import CDR, real_sidecar
from tests.support.objects import put_pair
from tests.sync.conftest import Cloud
from tests.sync.helpers import drain_all

pytestmark = pytest.mark.usefixtures("drained")


def _land_real_recording(w: World, s3: Any) -> dict[str, Any]:
    """The real file, uploaded as the daemon does for a task of this edge: its sidecar is
    the recorder's own with this task's id."""
    data = CDR.read_bytes()
    _, task, cfg = take_task(w, 0)
    ok(callback(w, "start", start_body(cfg), cfg["user_token"]))
    ok(callback(w, "finish", finish_body(cfg, size=len(data), count=2145), cfg["user_token"]))
    sidecar = real_sidecar(CDR)
    sidecar["task"]["task_id"] = task["id"]
    sidecar["mcap_file"] = f"{task['id']}.mcap"
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    key = axon_keys(w.factory_id, cfg["device_id"], day, task["id"])
    put_pair(s3, get_settings().bucket_for(w.factory_id), key, data, sidecar=sidecar)
    body = {"task_id": task["id"], "mcap_key": key.mcap_key}
    episode = ok(w.client.post("/api/v1/episodes/landed", json=body, headers=auth(w.admin)), 201)
    assert hashlib.sha256(data).hexdigest() == sidecar["recording"]["checksum_sha256"]
    return dict(episode)


def _assess(episode_id: str, s3: Any) -> None:
    sessions = get_sessionmaker()
    with sessions() as session:
        episode = session.get(Episode, episode_id)
        assert episode is not None
        outcome, _ = validate_episode(session, s3, episode)
    with sessions.begin() as session:
        record_qa_result(session, get_settings(), episode_id, outcome, "dagster:test")


def test_an_empty_schema_warning_reaches_the_inspector_and_the_cloud(
    world: World, s3: Any, cloud: Cloud, sync_settings: Callable[..., Settings]
) -> None:
    w = world
    w.order(target=2)
    episode = _land_real_recording(w, s3)
    _assess(episode["id"], s3)

    detail = ok(w.client.get(f"/api/v1/episodes/{episode['id']}", headers=auth(w.admin)))
    assert detail["status"] == "auto_approved" and detail["qa_score"] == 1.0
    findings = detail["qa_result"]["findings"]
    assert [f["code"] for f in findings] == ["EMPTY_SCHEMA"]
    assert findings[0]["severity"] == "warning"

    report = drain_all(sync_settings())
    assert episode["id"] in report.synced
    in_cloud = cloud.episodes()[episode["id"]]
    assert in_cloud.qa_findings == findings


def test_what_a_delivery_carries_of_the_qa_result() -> None:
    finding = {"severity": "warning", "code": "EMPTY_SCHEMA", "message": "m", "check": "schemas"}
    odd = [
        "not a finding",
        {"severity": "fatal", "code": "X", "message": "", "check": ""},
        {"severity": "error", "code": "", "message": "", "check": ""},
    ]
    assert delivered_findings({"findings": [*odd, finding]}) == [finding]
    assert delivered_findings({"findings": [finding] * 80}) == [finding] * 50
    long = {**finding, "message": "x" * 5000}
    assert len(delivered_findings({"findings": [long]})[0]["message"]) == 2000
    assert delivered_findings(None) == delivered_findings({"findings": "no"}) == []
