"""The whole path with an emulated Axon robot, on the real app, MariaDB and SeaweedFS:
register -> config -> begin -> start callback -> finish -> finish callback -> upload ->
verified ACK -> episode pending_qa."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from keystone_api.settings import get_settings
from tests.gateways.harness import Site, count_episodes, upload_row

pytestmark = pytest.mark.anyio


async def test_register_record_upload_ack_episode(site: Site, s3) -> None:  # type: ignore[no-untyped-def]
    robot = await site.online_robot()
    station = await site.station(robot)
    await site.order(target=1)
    token, task = await site.next_task(station)
    task_id = task["id"]

    state = await site.call("GET", f"/api/v1/recorder/{robot.device_id}/state", token)
    assert state["connected"] and state["state"] == "idle" and state["source"] == "live"
    assert state["transfer_connected"]

    answer = await site.act(robot, "config", token, task_id=task_id)
    assert answer["success"] and answer["task_status"] == "ready"
    assert robot.recorder.state == "ready"  # type: ignore[union-attr]
    answer = await site.act(robot, "begin", token)  # the recorder's task by default
    assert answer["task_id"] == task_id and answer["task_status"] == "in_progress"
    answer = await site.act(robot, "finish", token)
    assert answer["data"]["state"] == "idle"

    latency = await robot.transfer.wait_acked(task_id, timeout=20)  # type: ignore[union-attr]
    assert latency >= 0
    detail = await site.wait_status(task_id, "completed")
    assert [t["to_status"] for t in detail["transitions"]] == [
        "ready",
        "in_progress",
        "uploading",
        "completed",
    ]
    assert detail["start_callback"] is not None and detail["finish_callback"] is not None
    episode = await site.call("GET", f"/api/v1/episodes/{detail['episode_id']}")
    assert episode["status"] == "pending_qa"
    key = episode["mcap_key"]
    assert key.startswith(f"{site.world.factory_id}/{robot.device_id}/") and key.endswith(
        f"/{task_id}.mcap"
    )
    assert count_episodes(task_id) == 1
    assert upload_row(task_id).state == "acked"

    # Both objects are in the factory's bucket, the MCAP with the uploader's checksum.
    bucket = get_settings().bucket_for(site.world.factory_id)
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["Metadata"]["checksum-sha256"] == episode["checksum_sha256"]
    assert s3.head_object(Bucket=bucket, Key=key[: -len(".mcap")] + ".json")
    # Downloads serve the recorder's keys as they are.
    links = await site.call("GET", f"/api/v1/episodes/{episode['id']}/downloads")
    assert {(link["name"], link["key"]) for link in links["links"]} >= {
        ("mcap", key),
        ("sidecar", key[: -len(".mcap")] + ".json"),
    }
    async with httpx.AsyncClient() as raw:
        mcap_link = next(link["url"] for link in links["links"] if link["name"] == "mcap")
        body = (await raw.get(mcap_link)).content
    assert hashlib.sha256(body).hexdigest() == episode["checksum_sha256"]
    # ACKed: only now did the robot delete the pair it uploaded (the recorder's .done
    # marker stays, as with the real daemon); both callbacks were answered.
    assert [p.name for p in robot.data_dir.glob(f"{task_id}.*")] == [f"{task_id}.mcap.done"]
    callbacks = {c.kind: c.status_code for c in robot.recorder.callbacks}  # type: ignore[union-attr]
    assert callbacks == {"start": 200, "finish": 200}

    # The robot goes away: availability and the last known state follow.
    rows = await site.call("GET", "/api/v1/robots", params={"device_id": robot.device_id})
    assert rows["items"][0]["recorder_connected"] and rows["items"][0]["online"]
    await robot.stop()

    async def gone() -> bool:
        s = await site.call("GET", f"/api/v1/recorder/{robot.device_id}/state")
        return not s["connected"] and not s["transfer_connected"]

    await site.until(gone, what="robot disconnected")
    state = await site.call("GET", f"/api/v1/recorder/{robot.device_id}/state")
    assert state["source"] == "last_known" and state["state"] == "idle"
    rows = await site.call("GET", "/api/v1/robots", params={"device_id": robot.device_id})
    assert not rows["items"][0]["recorder_connected"]
