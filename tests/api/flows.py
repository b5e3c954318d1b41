"""Steps of the collection flow over HTTP, shared by the flow, callback and order tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from keystone_api.db.engine import get_sessionmaker
from keystone_api.episodes.qa import CheckResult, QaOutcome, record_qa_result
from keystone_api.settings import get_settings
from keystone_api.storage.layout import axon_keys
from tests.api.world import World, auth, ok
from tests.support.objects import put_pair


def start_body(cfg: dict[str, Any], started_at: str = "2026-11-27T08:00:00Z") -> dict[str, Any]:
    return {
        "task_id": cfg["task_id"],
        "device_id": cfg["device_id"],
        "status": "recording",
        "started_at": started_at,
        "topics": cfg["topics"],
    }


def finish_body(cfg: dict[str, Any], size: int = 1024, count: int = 150) -> dict[str, Any]:
    return {
        "task_id": cfg["task_id"],
        "device_id": cfg["device_id"],
        "status": "finished",
        "started_at": "2026-11-27T08:00:00Z",
        "finished_at": "2026-11-27T08:00:30Z",
        "duration_sec": 30.0,
        "message_count": count,
        "file_size_bytes": size,
        "output_path": f"/robot/{cfg['task_id']}.mcap",
        "sidecar_path": f"/robot/{cfg['task_id']}.json",
        "sidecar_enabled": True,
        "sidecar_generated": True,
        "topics": cfg["topics"],
        "metadata": {
            "scene": cfg["scene"],
            "subscene": cfg["subscene"],
            "skills": cfg["skills"],
            "factory": cfg["factory"],
        },
        "error": None,
    }


def take_task(w: World, station: int = 0) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Collector logs in at the station, gets the next task and its config."""
    token = w.login(w.collectors[station]["username"], w.workstations[station]["id"])
    ws_id = w.workstations[station]["id"]
    task = ok(w.client.post(f"/api/v1/workstations/{ws_id}/tasks/next", headers=auth(token)))
    cfg = ok(w.client.get(f"/api/v1/tasks/{task['id']}/config", headers=auth(token)))
    return token, task, cfg


def robot_token(robot_id: str) -> str:
    """A registered robot's current device token."""
    from keystone_api.fleet.devices import device_token
    from keystone_api.fleet.models import Robot

    with get_sessionmaker()() as session:
        return device_token(get_settings(), session.get(Robot, robot_id))


def callback(w: World, kind: str, body: dict[str, Any], token: str, prefix: str = "/api/v1") -> Any:
    return w.client.post(f"{prefix}/callbacks/{kind}", json=body, headers=auth(token))


def land(
    w: World,
    s3: Any,
    cfg: dict[str, Any],
    data: bytes = b"\x89MCAP0\r\n" + b"x" * 1016,
    source: str = "api",
) -> dict[str, Any]:
    """Upload the recording in Axon's layout and register it through the API."""
    key = axon_keys(
        w.factory_id, cfg["device_id"], datetime.now(UTC).strftime("%Y-%m-%d"), cfg["task_id"]
    )
    put_pair(s3, get_settings().bucket_for(w.factory_id), key, data)
    return ok(
        w.client.post(
            "/api/v1/episodes/landed",
            json={"task_id": cfg["task_id"], "mcap_key": key.mcap_key},
            headers=auth(w.admin),
        ),
        201,
    )


def record_qa(episode_id: str, score: float, failing: tuple[str, ...] = ()) -> None:
    checks = [
        CheckResult(name, name not in failing, 0.0 if name in failing else 1.0, "test")
        for name in ("structure", "required_topics", "duration", "gaps", "image_integrity")
    ]
    outcome = QaOutcome(
        score=score, checks=checks, validator_version="test", formula_version="test"
    )
    session: Session = get_sessionmaker()()
    with session.begin():
        record_qa_result(session, get_settings(), episode_id, outcome, "dagster:test")
    session.close()


def record_one(w: World, s3: Any, station: int = 0) -> dict[str, Any]:
    """One whole recording: task, config, start, finish, landed; returns the episode."""
    _, _, cfg = take_task(w, station)
    ok(callback(w, "start", start_body(cfg), cfg["user_token"]))
    ok(callback(w, "finish", finish_body(cfg), cfg["user_token"]))
    return land(w, s3, cfg)
