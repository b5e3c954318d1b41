"""Recorder faults: a recorder lost mid-recording, lost or late callbacks (sent once, never
retried), refused actions and RPC timeouts. The task always converges."""

from __future__ import annotations

import pytest

from keystone_sim.axon import Faults
from tests.api.world import tool_token
from tests.gateways.harness import Site, count_episodes
from tests.support.settings_env import settings_env

pytestmark = pytest.mark.anyio


async def _ready_station(site: Site, faults: Faults | None = None, target: int = 1):  # type: ignore[no-untyped-def]
    robot = await site.online_robot(faults)
    station = await site.station(robot)
    await site.order(target=target)
    token, task = await site.next_task(station)
    return robot, station, token, task["id"]


async def _start_recorded(site: Site, task_id: str) -> bool:
    return (await site.task(task_id))["start_callback"] is not None


async def _recording(site: Site):  # type: ignore[no-untyped-def]
    robot, station, token, task_id = await _ready_station(site)
    await site.act(robot, "config", token, task_id=task_id)
    await site.act(robot, "begin", token)
    # The start callback may come after the answer (and would move a released task on).
    await site.until(lambda: _start_recorded(site, task_id), what="start callback")
    return robot, station, token, task_id


async def _marked_offline(site: Site, task_id: str) -> dict:  # type: ignore[type-arg]
    async def marked() -> bool:
        return (await site.task(task_id))["recorder_offline_at"] is not None

    await site.until(marked, what="the task marked recorder-offline")
    return await site.task(task_id)  # type: ignore[no-any-return]


async def test_a_recorder_lost_mid_recording_keeps_its_task_until_staff_release_it(
    site: Site,
) -> None:
    """The real recorder keeps recording without its socket: its task is not handed to
    anyone else; staff release it once the recorder stayed away long enough."""
    robot, station, token, task_id = await _recording(site)
    await robot.recorder.stop()  # type: ignore[union-attr]  # gone for good
    detail = await _marked_offline(site, task_id)
    assert detail["status"] == "in_progress"
    assert "pending" not in [t["to_status"] for t in detail["transitions"]]
    # Another call for the station's next task gets the same task, still in progress.
    again = await site.call("POST", f"/api/v1/workstations/{station.ws_id}/tasks/next", token)
    assert again["id"] == task_id and again["status"] == "in_progress"
    release = f"/api/v1/tasks/{task_id}/release"
    refused = await site.call("POST", release, token, 403, json={})  # not the collector
    assert "may still be recording" in refused["error"]["message"]
    operator = tool_token("operator")
    early = await site.call("POST", release, operator, 409, json={})
    assert 0 < early["error"]["details"]["retry_after_s"] <= 120
    with settings_env(recorder_offline_release_s="0"):
        released = await site.call("POST", release, operator, json={"reason": "robot dead"})
    assert released["status"] == "pending" and released["recorder_offline_at"] is None
    detail = await site.task(task_id)
    assert detail["transitions"][-1]["cause"] == "robot dead"
    resp = await site.call("POST", f"/api/v1/recorder/{robot.device_id}/begin", token, 409)
    assert resp["error"]["code"] == "recorder_not_connected"


async def test_a_recorder_that_flaps_keeps_recording_its_task(site: Site) -> None:
    robot, station, token, task_id = await _recording(site)
    await robot.recorder.drop_connection()  # type: ignore[union-attr]  # it reconnects

    async def back() -> bool:
        detail = await site.task(task_id)
        state = await site.call("GET", f"/api/v1/recorder/{robot.device_id}/state")
        live = state["connected"] and state["state"] == "recording"
        return live and detail["recorder_offline_at"] is None

    await site.until(back, what="the recorder back, recording its task")
    detail = await site.task(task_id)
    assert detail["status"] == "in_progress"  # never pending, never anyone else's
    assert [t["to_status"] for t in detail["transitions"]] == ["ready", "in_progress"]
    await site.act(robot, "finish", token)
    await robot.transfer.wait_acked(task_id, 20)  # type: ignore[union-attr]
    await site.wait_status(task_id, "completed")


async def test_a_recorder_back_without_its_task_gives_it_back(site: Site) -> None:
    """A recorder restarted mid-recording comes back idle (its file is lost, nothing is
    uploaded): the task goes back to pending, to be recorded again."""
    robot, station, token, task_id = await _recording(site)
    recorder = robot.recorder
    assert recorder is not None
    recorder.state, recorder.config = "idle", None  # as a restarted recorder is
    await recorder.drop_connection()
    detail = await site.wait_status(task_id, "pending")
    assert detail["recorder_offline_at"] is None
    assert detail["transitions"][-1]["cause"] == "recorder back (idle) without this task"
    again = await site.call("POST", f"/api/v1/workstations/{station.ws_id}/tasks/next", token)
    assert again["id"] == task_id  # still the station's task: it is recorded again


@pytest.mark.parametrize(
    "lost", [{"start"}, {"finish"}, {"start", "finish"}], ids=["start", "finish", "both"]
)
async def test_lost_callbacks_still_converge(site: Site, lost: set[str]) -> None:
    robot, station, token, task_id = await _ready_station(site, Faults(lost_callbacks=lost))
    await site.record(station, token, task_id)
    await robot.transfer.wait_acked(task_id, 20)  # type: ignore[union-attr]
    detail = await site.wait_status(task_id, "completed")
    assert (detail["start_callback"] is None) == ("start" in lost)
    assert (detail["finish_callback"] is None) == ("finish" in lost)
    assert [t["to_status"] for t in detail["transitions"]] == [
        "ready",
        "in_progress",
        "uploading",
        "completed",
    ]
    assert count_episodes(task_id) == 1
    episode = await site.call("GET", f"/api/v1/episodes/{detail['episode_id']}")
    assert episode["status"] == "pending_qa" and episode["duration_s"] is not None


async def test_callbacks_racing_the_answers_converge(site: Site) -> None:
    """Callbacks from another task, delayed at random: before, during or after the answers."""
    faults = Faults(callback_jitter_s=0.3)
    robot, station, token, task_id = await _ready_station(site, faults, target=3)
    for _ in range(3):
        await site.record(station, token, task_id, pause_s=0.05)
        await robot.transfer.wait_acked(task_id, 20)  # type: ignore[union-attr]
        await site.wait_status(task_id, "completed")
        if len(robot.transfer.acked) < 3:  # type: ignore[union-attr]
            token, task = await site.next_task(station)
            task_id = task["id"]
    assert all(c.status_code == 200 for c in robot.recorder.callbacks)  # type: ignore[union-attr]


async def test_config_is_refused_unless_idle_pending_and_owned(site: Site) -> None:
    robot, station, token, task_id = await _ready_station(site)
    other = await site.online_robot()
    other_station = await site.station(other)
    await site.order(target=1, workstation_ids=[other_station.ws_id])
    _, other_task = await site.next_task(other_station)

    refused = await site.act(robot, "config", token, 409, task_id=other_task["id"])
    assert "not paired" in refused["error"]["message"]
    await site.act(robot, "config", token, task_id=task_id)
    mismatch = await site.act(robot, "begin", token, 409, task_id="not-this-task")
    assert mismatch["error"]["code"] == "recorder_refused"
    assert "task_id mismatch" in mismatch["error"]["message"]
    assert (await site.task(task_id))["status"] == "ready"
    await site.act(robot, "begin", token)
    busy = await site.act(robot, "config", token, 409, task_id=task_id)
    assert busy["error"]["code"] == "recorder_busy" and "recording" in busy["error"]["message"]
    await site.act(robot, "pause", token)
    await site.act(robot, "resume", token)
    answer = await site.act(robot, "cancel", token)
    assert answer["task_status"] == "pending"
    state = await site.call("GET", f"/api/v1/recorder/{robot.device_id}/state", token)
    assert state["state"] == "idle" and state["task_id"] is None
    # A collector acts only on the robot at their own workstation.
    other_token = await site.collector_token(other_station)
    await site.act(robot, "config", other_token, 404, task_id=task_id)


async def test_rpc_timeout_is_a_clear_504(site: Site) -> None:
    robot, station, token, task_id = await _ready_station(site, Faults(silent_actions={"pause"}))
    site.gateway.hub.rpc_timeout_s = 0.5
    await site.act(robot, "config", token, task_id=task_id)
    await site.act(robot, "begin", token)
    resp = await site.act(robot, "pause", token, 504)
    assert resp["error"]["code"] == "recorder_timeout"
    assert "did not answer 'pause' within 0.5 s" in resp["error"]["message"]
    assert resp["error"]["details"]["result_unknown"] is True
