"""Recorder faults: a recorder lost mid-recording, lost or late callbacks (sent once, never
retried), refused actions and RPC timeouts. The task always converges."""

from __future__ import annotations

import pytest

from keystone_sim.axon import Faults
from tests.robots.harness import Site, count_episodes

pytestmark = pytest.mark.anyio


async def _ready_station(site: Site, faults: Faults | None = None, target: int = 1):  # type: ignore[no-untyped-def]
    robot = await site.online_robot(faults)
    station = await site.station(robot)
    await site.order(target=target)
    token, task = await site.next_task(station)
    return robot, station, token, task["id"]


async def _start_recorded(site: Site, task_id: str) -> bool:
    return (await site.task(task_id))["start_callback"] is not None


async def test_recorder_lost_mid_recording_returns_task_to_pending(site: Site) -> None:
    robot, station, token, task_id = await _ready_station(site)
    await site.act(robot, "config", token, task_id=task_id)
    await site.act(robot, "begin", token)

    # The start callback may come after the answer (and would move a released task on).
    await site.until(lambda: _start_recorded(site, task_id), what="start callback")
    await robot.recorder.stop()  # type: ignore[union-attr]  # gone for good
    detail = await site.wait_status(task_id, "pending")
    assert detail["transitions"][-1]["cause"] == "recorder disconnected"
    assert detail["start_callback"] is None  # the abandoned recording's facts are dropped
    again = await site.call("POST", f"/api/v1/workstations/{station.ws_id}/tasks/next", token)
    assert again["id"] == task_id  # still the station's task: it is recorded again
    await site.act(robot, "begin", token, expect=409)  # nobody to send it to
    resp = await site.call("POST", f"/api/v1/recorder/{robot.device_id}/begin", token, 409)
    assert resp["error"]["code"] == "recorder_not_connected"


async def test_recorder_flap_while_recording_converges(site: Site) -> None:
    robot, station, token, task_id = await _ready_station(site)
    await site.act(robot, "config", token, task_id=task_id)
    await site.act(robot, "begin", token)
    await site.until(lambda: _start_recorded(site, task_id), what="start callback")
    await robot.recorder.drop_connection()  # type: ignore[union-attr]  # it reconnects

    async def back_in_progress() -> bool:
        detail = await site.task(task_id)
        steps = [t["to_status"] for t in detail["transitions"]]
        state = await site.call("GET", f"/api/v1/recorder/{robot.device_id}/state")
        live = state["connected"] and state["state"] == "recording"
        return "pending" in steps and detail["status"] == "in_progress" and live

    await site.until(back_in_progress, what="pending, then in_progress again on reconnect")
    await site.act(robot, "finish", token)
    await robot.transfer.wait_acked(task_id, 20)  # type: ignore[union-attr]
    await site.wait_status(task_id, "completed")


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
