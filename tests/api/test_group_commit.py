"""Robots' callbacks and heartbeats are written by group commit: the ones that arrive
together share one transaction. Each must still get its own answer: a callback sees the ones
before it in its batch, a refused one writes nothing and fails nobody else, and a database
error fails the batch's requests with a 503. Real MariaDB, real HTTP."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import func, select

from keystone_api.accounts.tokens import TokenClaims, decode, mint
from keystone_api.callbacks.schemas import CallbackAck, FinishCallback, StartCallback
from keystone_api.callbacks.service import CALLBACKS, Callback
from keystone_api.db.engine import get_sessionmaker
from keystone_api.db.group_commit import write_batch
from keystone_api.errors import Forbidden, NotFound, Unauthorized
from keystone_api.fleet.heartbeats import HEARTBEATS
from keystone_api.fleet.models import Robot
from keystone_api.fleet.schemas import HeartbeatOut
from keystone_api.orders.models import TaskTransition
from keystone_api.settings import get_settings
from keystone_api.sync.models import ReplicaOutbox
from tests.api.flows import finish_body, robot_token, start_body, take_task
from tests.api.world import auth, build_world, ok


def _claims(cfg: dict[str, Any]) -> TokenClaims:
    """The claims of a task's user_token (what the router hands the batch)."""
    return decode(get_settings(), cfg["user_token"])


def _device(robot_id: str) -> tuple[TokenClaims, str]:
    token = robot_token(robot_id)
    return decode(get_settings(), token), token


def test_one_batch_applies_its_items_in_order_and_refuses_only_the_bad_ones(world) -> None:
    w = world
    w.order(target=2)
    _, task, cfg = take_task(w, 0)
    _, other_task, other_cfg = take_task(w, 1)
    claims = _claims(cfg)
    robot_claims, _ = _device(w.workstations[0]["robot_id"])
    revoked = TokenClaims(
        "device",
        robot_claims.sub,
        "robot",
        robot_claims.factory_id,
        device_id=robot_claims.device_id,
        token_version=(robot_claims.token_version or 0) + 7,
    )
    wrong_device = {**start_body(other_cfg), "device_id": cfg["device_id"]}
    unknown = {**finish_body(cfg), "task_id": "01a21dc2-0000-7000-8000-000000000000"}

    outcomes = write_batch(
        [
            (CALLBACKS, Callback(claims, StartCallback.model_validate(start_body(cfg)))),
            (HEARTBEATS, robot_claims),
            (CALLBACKS, Callback(claims, FinishCallback.model_validate(finish_body(cfg)))),
            (CALLBACKS, Callback(claims, StartCallback.model_validate(start_body(cfg)))),
            (CALLBACKS, Callback(_claims(other_cfg), StartCallback.model_validate(wrong_device))),
            (CALLBACKS, Callback(claims, FinishCallback.model_validate(unknown))),
            (HEARTBEATS, revoked),
        ]
    )

    # Each item answered as if alone, after the ones before it in the batch.
    assert outcomes[0] == CallbackAck(task_id=task["id"], status="in_progress", duplicate=False)
    assert isinstance(outcomes[1], HeartbeatOut) and outcomes[1].robot_id == robot_claims.sub
    assert outcomes[2] == CallbackAck(task_id=task["id"], status="uploading", duplicate=False)
    assert outcomes[3] == CallbackAck(task_id=task["id"], status="uploading", duplicate=True)
    assert isinstance(outcomes[4], Forbidden)  # the other task's token names this device
    assert isinstance(outcomes[5], Forbidden)  # this task's token, another task's id
    assert isinstance(outcomes[6], Unauthorized)

    # What was written: both moves of the first task, one outbox row per change, the
    # station back to idle, the batch active; nothing of the refused items.
    detail = ok(w.client.get(f"/api/v1/tasks/{task['id']}", headers=auth(w.admin)))
    assert [(t["from_status"], t["to_status"]) for t in detail["transitions"]][-2:] == [
        ("pending", "in_progress"),
        ("in_progress", "uploading"),
    ]
    assert detail["finish_callback"]["message_count"] == 150
    other = ok(w.client.get(f"/api/v1/tasks/{other_task['id']}", headers=auth(w.admin)))
    assert other["status"] == "pending" and other["start_callback"] is None
    with get_sessionmaker()() as session:
        moves = session.scalar(select(func.count()).where(TaskTransition.task_id == task["id"]))
        changes = session.scalars(
            select(ReplicaOutbox.version).where(ReplicaOutbox.record_id == task["id"])
        ).all()
        robot = session.get(Robot, robot_claims.sub)
        assert robot is not None and robot.last_seen_at is not None
    assert moves == len(detail["transitions"])
    assert sorted(changes)[-2:] == [detail["version"] - 1, detail["version"]]
    ws = ok(w.client.get(f"/api/v1/workstations/{task['workstation_id']}", headers=auth(w.admin)))
    assert ws["status"] == "idle"
    batch = ok(w.client.get(f"/api/v1/batches/{task['batch_id']}", headers=auth(w.admin)))
    assert batch["status"] == "active"


def test_unknown_task_in_a_batch_is_404_for_a_device_token(world) -> None:
    w = world
    w.order(target=1)
    _, _, cfg = take_task(w, 0)
    robot_claims, _ = _device(w.workstations[0]["robot_id"])
    body = {**start_body(cfg), "task_id": "01a21dc2-0000-7000-8000-000000000000"}
    [outcome] = write_batch([(CALLBACKS, Callback(robot_claims, StartCallback(**body)))])
    assert isinstance(outcome, NotFound)


def test_concurrent_callbacks_each_get_their_own_answer(live_api: str) -> None:
    stations = 8
    with httpx.Client(base_url=live_api, timeout=60) as client:
        w = build_world(client, stations=stations)
        w.order(target=stations)
        configs = [take_task(w, i)[2] for i in range(stations)]
        heartbeats = [_device(ws["robot_id"]) for ws in w.workstations]

    def fire(requests: list[tuple[str, dict[str, Any] | None, str]]) -> list[httpx.Response]:
        """All at once, one connection each, released together."""
        gate = threading.Barrier(len(requests))

        def send(request: tuple[str, dict[str, Any] | None, str]) -> httpx.Response:
            path, body, token = request
            with httpx.Client(base_url=live_api, timeout=60) as c:
                gate.wait()
                return c.post(path, json=body, headers=auth(token))

        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            return list(pool.map(send, requests))

    # Per task: the start twice (the same facts) and a start with other facts, all racing;
    # every robot's heartbeat among them.
    starts: list[tuple[str, dict[str, Any] | None, str]] = []
    for cfg in configs:
        same = ("/api/v1/callbacks/start", start_body(cfg), cfg["user_token"])
        other = start_body(cfg, "2026-11-27T09:00:00Z")
        starts += [same, same, ("/callbacks/start", other, cfg["user_token"])]
    beats = [
        (f"/api/v1/robots/{claims.sub}/heartbeat", None, token) for claims, token in heartbeats
    ]
    answers = fire(starts + beats)
    for i, cfg in enumerate(configs):
        first, second, third = answers[3 * i : 3 * i + 3]
        codes = sorted(r.status_code for r in (first, second, third))
        if third.status_code == 200:  # the other facts came first: both repeats conflict
            assert codes == [200, 409, 409]
            assert third.json() == {
                "task_id": cfg["task_id"],
                "status": "in_progress",
                "duplicate": False,
            }
        else:  # one of the same two came first; its twin is a duplicate
            assert codes == [200, 200, 409]
            assert sorted(r.json()["duplicate"] for r in (first, second)) == [False, True]
        conflict = next(r for r in (first, second, third) if r.status_code == 409)
        assert conflict.json()["error"]["details"]["current_status"] == "in_progress"
    for response, (claims, _) in zip(answers[3 * stations :], heartbeats, strict=True):
        assert ok(response)["robot_id"] == claims.sub

    finishes = [("/api/v1/callbacks/finish", finish_body(c), c["user_token"]) for c in configs]
    assert all(ok(r)["status"] == "uploading" for r in fire(finishes + beats)[:stations])
    with httpx.Client(base_url=live_api, timeout=60) as client:
        for cfg, ws in zip(configs, w.workstations, strict=True):
            detail = ok(client.get(f"/api/v1/tasks/{cfg['task_id']}", headers=auth(w.admin)))
            # Exactly one move each way, however the duplicates raced.
            assert [t["to_status"] for t in detail["transitions"]][-2:] == [
                "in_progress",
                "uploading",
            ]
            assert sum(t["to_status"] == "in_progress" for t in detail["transitions"]) == 1
            station = ok(client.get(f"/api/v1/workstations/{ws['id']}", headers=auth(w.admin)))
            assert station["status"] == "idle"


def test_a_token_for_a_task_that_does_not_exist_anywhere_is_404(live_api: str) -> None:
    token = mint(
        get_settings(),
        TokenClaims(
            "task",
            "01a21dc2-0000-7000-8000-00000000beef",
            "robot",
            None,
            device_id="AB-NONE",
            task_id="01a21dc2-0000-7000-8000-00000000beef",
        ),
    )
    body = {
        "task_id": "01a21dc2-0000-7000-8000-00000000beef",
        "device_id": "AB-NONE",
        "status": "recording",
        "started_at": "2026-11-27T08:00:00Z",
        "topics": [],
    }
    response = httpx.post(f"{live_api}/callbacks/start", json=body, headers=auth(token))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
