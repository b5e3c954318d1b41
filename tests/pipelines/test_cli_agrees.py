"""`keystone qa validate --robot-type` agrees with the QA pipeline (issue 17, deliverable 6):
the corpus (the real recorder's files in ../shared/corpus and tests/data, and simulated
recordings with defects) landed as episodes, assessed by the pipeline's validate_episode,
and validated from the store by the command line with the robot type's spec from Keystone's
database: the same score and the same verdict per check, every time."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from keystone_api.db.engine import get_sessionmaker
from keystone_api.episodes.models import Episode
from keystone_api.settings import get_settings
from keystone_api.storage.layout import axon_keys
from keystone_pipelines.qa.assess import validate_episode
from keystone_pipelines.qa.cli import app
from keystone_sim.recording import (
    JOINT_TOPIC,
    RateDrop,
    RecordingSpec,
    sidecar_dict,
    write_recording,
)
from tests.api.flows import callback, finish_body, start_body, take_task
from tests.api.world import QA_SPEC, World, auth, ok
from tests.support.axon_files import CDR, MOCK, real_sidecar
from tests.support.objects import put_pair

SHARED = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "axon-real"
CAMERAS = [f"/camera_{c}/image_raw/compressed" for c in ("left", "right", "head")]
# A spec that gives every check something to judge.
SPEC = {
    **QA_SPEC,
    "expected_rate_hz": {JOINT_TOPIC: 100.0, **dict.fromkeys(CAMERAS, 30.0)},
    "moving_joint_topics": [JOINT_TOPIC],
    "joint_limits": {"joint_1": [-1.5, 1.5], "joint_0": [-1, 1]},
    "image_sample": 40,
}
runner = CliRunner()


def _corpus() -> list[Path]:
    found = [CDR, MOCK]
    found += [SHARED / p.name for p in found if (SHARED / p.name).is_file()]
    return found


def _land(
    w: World, s3: Any, data: bytes, sidecar: dict[str, Any], station: int = 0
) -> tuple[str, str]:
    """An upload for a task of this edge, landed: (episode id, s3:// URL)."""
    _, task, cfg = take_task(w, station)
    count = sidecar["recording"]["message_count"]
    ok(callback(w, "start", start_body(cfg), cfg["user_token"]))
    ok(callback(w, "finish", finish_body(cfg, size=len(data), count=count), cfg["user_token"]))
    sidecar = {**sidecar, "task": {**sidecar["task"], "task_id": task["id"]}}
    sidecar["mcap_file"] = f"{task['id']}.mcap"
    sidecar["recording"] = {
        **sidecar["recording"],
        "checksum_sha256": hashlib.sha256(data).hexdigest(),
    }
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    key = axon_keys(w.factory_id, cfg["device_id"], day, task["id"])
    bucket = get_settings().bucket_for(w.factory_id)
    put_pair(s3, bucket, key, data, sidecar=sidecar)
    body = {"task_id": task["id"], "mcap_key": key.mcap_key}
    episode = ok(w.client.post("/api/v1/episodes/landed", json=body, headers=auth(w.admin)), 201)
    return episode["id"], f"s3://{bucket}/{key.mcap_key}"


def _pipeline(episode_id: str, s3: Any) -> dict[str, Any]:
    with get_sessionmaker()() as session:
        episode = session.get(Episode, episode_id)
        assert episode is not None
        outcome, _ = validate_episode(session, s3, episode)
    return {"score": outcome.score, "checks": {c.name: c.passed for c in outcome.checks}}


def _cli(url: str, robot_type: str) -> dict[str, Any]:
    res = runner.invoke(app, ["validate", url, "--robot-type", robot_type, "--json"])
    assert res.exit_code in (0, 1), res.output
    doc = json.loads(res.stdout.splitlines()[-1])
    return {"score": doc["score"], "checks": {c["name"]: c["passed"] for c in doc["checks"]}}


@pytest.fixture
def robot_type(world: World) -> str:
    """The world's robot type, its spec set to SPEC through the API; answers its name."""
    path = f"/api/v1/robot-types/{world.robot_type_id}"
    rt = ok(world.client.patch(path, json={"qa_spec": SPEC}, headers=auth(world.admin)))
    return str(rt["name"])


def test_cli_and_pipeline_give_the_same_score_on_the_corpus(
    world: World, s3: Any, robot_type: str, tmp_path: Path
) -> None:
    world.order(target=8)
    landed = [
        _land(world, s3, p.read_bytes(), real_sidecar(p), i % 2) for i, p in enumerate(_corpus())
    ]
    for name, spec in {
        "clean": RecordingSpec(duration_s=3, width=160, height=120, joint_rate_hz=100),
        "defects": RecordingSpec(
            duration_s=4,
            width=160,
            height=120,
            joint_rate_hz=100,
            corrupt_jpeg_fraction=0.05,
            joint_nan_fraction=0.1,
            rate_drops=(RateDrop(CAMERAS[0], 2.0, 15.0),),
        ),
    }.items():
        facts = write_recording(tmp_path / f"{name}.mcap", spec)
        landed.append(
            _land(world, s3, facts.path.read_bytes(), sidecar_dict(facts), len(landed) % 2)
        )
    scores = []
    for episode_id, url in landed:
        pipeline = _pipeline(episode_id, s3)
        by_name = _cli(url, robot_type)
        by_id = _cli(url, world.robot_type_id)
        assert by_name == by_id == pipeline, url
        scores.append(pipeline["score"])
    # Not a corpus of perfect files: the agreement covers failing and passing scores.
    assert min(scores) < 0.9 <= max(scores)


def test_the_robot_types_spec_is_named_and_a_bad_reference_refused(
    world: World, s3: Any, robot_type: str
) -> None:
    world.order(target=2)
    _, url = _land(world, s3, CDR.read_bytes(), real_sidecar(CDR))
    res = runner.invoke(app, ["validate", url, "--robot-type", robot_type, "--json"])
    doc = json.loads(res.stdout.splitlines()[-1])
    assert doc["spec"].startswith(f"robot type {robot_type} ({world.robot_type_id}), spec ")
    assert doc["sidecar"] == url[: -len(".mcap")] + ".json"  # found beside it, as QA does
    assert doc["not_judged"] == []  # SPEC judges everything
    # The real CDR plugin publishes constant joint states: frozen, as the spec forbids.
    assert not doc["passed"] and "frozen" in doc["checks"][7]["detail"]

    res = runner.invoke(app, ["validate", url, "--robot-type", "no-such-type", "--json"])
    assert res.exit_code == 2
    assert "no robot type 'no-such-type' (by id or name) in Keystone's database" in res.output
    res = runner.invoke(app, ["validate", url, "--robot-type", robot_type, "--spec", "x.yaml"])
    assert res.exit_code == 2 and "give one" in res.output
