"""Frames that are malformed, oversized, of an unknown type, or about another device's task
are refused: the sender's socket stays up, other robots' sockets and tasks are untouched."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect

from keystone_sim.axon import register
from tests.gateways.harness import Site

pytestmark = pytest.mark.anyio


async def test_bad_frames_are_refused_without_closing_anything(site: Site) -> None:
    # Robot B: a real emulated robot with a configured task.
    b = await site.online_robot()
    b_station = await site.station(b)
    await site.order(target=1)
    b_token, b_task = await site.next_task(b_station)
    await site.act(b, "config", b_token, task_id=b_task["id"])

    # Robot A: raw sockets, sending whatever it likes.
    a = await register(site.http, site.enroll_url, site.factory, site.robot_type)
    headers = {"Authorization": f"Bearer {a.token}"}
    rec_url = a.response["endpoints"]["recorder_rpc_url"]
    xfer_url = a.response["endpoints"]["transfer_ws_url"] + "/" + a.device_id
    async with (
        connect(rec_url, additional_headers=headers) as rec,
        connect(xfer_url, max_size=None) as xfer,
    ):
        get_state = json.loads(await rec.recv())
        assert get_state["action"] == "get_state"
        other = b_task["id"]
        recorder_frames = [
            "not json {",
            "[1, 2, 3]",
            json.dumps({"type": "state_update", "data": "x" * 300_000}),  # oversized
            json.dumps({"type": "who_knows", "data": {}}),
            json.dumps({"type": "rpc_response", "request_id": "never-sent", "success": True}),
            json.dumps({"type": "state_update", "data": {"current": "flying"}}),
            json.dumps({"type": "config_applied", "data": {"task_id": other}}),
            json.dumps(
                {"type": "state_update", "data": {"current": "recording", "task_id": other}}
            ),
        ]
        transfer_frames = [
            b"\x00\xff binary garbage",
            json.dumps({"type": "upload_started", "data": {"task_id": other}}),
            json.dumps({"type": "upload_failed", "data": {"task_id": other, "reason": "x"}}),
            json.dumps({"type": "upload_not_found", "data": {"task_id": other}}),
            json.dumps({"type": "upload_complete", "data": {"task_id": other, "s3_key": "x"}}),
            json.dumps({"type": "upload_complete", "task_id": "x" * 500}),
            json.dumps({"type": "status", "waiting_ack_task_ids": [other]}),
            json.dumps({"type": "nonsense"}),
        ]
        for frame in recorder_frames:
            await rec.send(frame)
        for frame in transfer_frames:
            await xfer.send(frame)
        # Still served: answer the get_state, and the server takes the answer.
        answer = {
            "type": "rpc_response",
            "request_id": get_state["request_id"],
            "success": True,
            "message": "ok",
            "data": {"state": "idle"},
        }
        await rec.send(json.dumps(answer))
        hub = site.gateway.hub

        async def all_refused() -> bool:
            rec_link, xfer_link = hub.recorders.get(a.device_id), hub.transfers.get(a.device_id)
            return bool(
                rec_link and xfer_link and rec_link.rejected >= 8 and xfer_link.rejected >= 7
            )

        await site.until(all_refused, what="every bad frame refused")
        state = await site.call("GET", f"/api/v1/recorder/{a.device_id}/state")
        assert state["connected"] and state["transfer_connected"] and state["state"] == "idle"
        # Nothing was ACKed to A (the only frames it may get are requests from the server).
        received = []
        try:
            while True:
                received.append(json.loads(await asyncio.wait_for(xfer.recv(), 0.2)))
        except TimeoutError:
            pass
        assert all(m["type"] != "upload_ack" for m in received)

    # B never noticed: its task, its recorder and its sockets are as they were.
    detail = await site.task(b_task["id"])
    assert detail["status"] == "ready" and len(detail["transitions"]) == 1
    b_state = await site.call("GET", f"/api/v1/recorder/{b.device_id}/state")
    assert b_state["connected"] and b_state["state"] == "ready"
    assert b_state["task_id"] == b_task["id"]
    await site.act(b, "begin", b_token)
    await site.act(b, "finish", b_token)
    await b.transfer.wait_acked(b_task["id"], 20)  # type: ignore[union-attr]
