"""`GET /api/v1/device-state/stream`: robots' connection and recorder changes as SSE."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.api.world import auth, tool_token
from tests.gateways.harness import Site

pytestmark = pytest.mark.anyio


async def _collect(site: Site, token: str, into: list[dict[str, Any]], **params: Any) -> None:
    async with site.http.stream(
        "GET", "/api/v1/device-state/stream", headers=auth(token), params=params, timeout=None
    ) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        event: dict[str, str] = {}
        async for line in resp.aiter_lines():
            if line.startswith(("id:", "event:", "data:")):
                key, _, value = line.partition(":")
                event[key] = value.strip()
            elif not line and event:
                into.append(
                    {
                        "id": event.get("id"),
                        "event": event.get("event"),
                        **json.loads(event["data"]),
                    }
                )
                event = {}


async def test_device_state_stream(site: Site) -> None:
    mine: list[dict[str, Any]] = []
    filtered: list[dict[str, Any]] = []
    foreign: list[dict[str, Any]] = []
    readers = [asyncio.ensure_future(_collect(site, site.admin, mine))]
    outsider = tool_token("operator", factory_id="another-factory")
    readers.append(asyncio.ensure_future(_collect(site, outsider, foreign)))
    try:
        await asyncio.sleep(0.3)  # the streams are open
        robot = await site.online_robot()
        readers.append(
            asyncio.ensure_future(_collect(site, site.admin, filtered, device_id=robot.device_id))
        )
        station = await site.station(robot)
        await site.order(target=1)
        token, task = await site.next_task(station)
        await site.record(station, token, task["id"])
        await robot.transfer.wait_acked(task["id"], 20)  # type: ignore[union-attr]
        await robot.stop()

        def seen(events: list[dict[str, Any]], **match: Any) -> bool:
            return any(all(e.get(k) == v for k, v in match.items()) for e in events)

        async def all_seen() -> bool:
            return seen(
                mine,
                event="device_connection",
                recorder_connected=False,
                device_id=robot.device_id,
                transfer_connected=False,
            )

        await site.until(all_seen, what="the disconnect event")
        dev = robot.device_id
        assert seen(mine, event="device_connection", device_id=dev, recorder_connected=True)
        assert seen(mine, event="recorder_state", device_id=dev, current_state="recording")
        assert seen(mine, event="upload", device_id=dev, task_id=task["id"], stage="acked")
        assert [int(e["id"]) for e in mine] == sorted(int(e["id"]) for e in mine)
        # A reader that opens later starts with a snapshot of the live device.
        assert filtered and filtered[0]["event"] == "snapshot"
        assert {e["device_id"] for e in filtered} == {dev}
        # Another factory's principal sees nothing of this factory's robots.
        assert not [e for e in foreign if e["device_id"] == dev]
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
