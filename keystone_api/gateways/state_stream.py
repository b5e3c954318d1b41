"""`GET /api/v1/device-state/stream`: the hub's device-state events (`device_events`) as
server-sent events: first a snapshot of the live devices, then every change; the SSE `id`
is the event's sequence number, so a reader can tell it missed some."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import CurrentPrincipal
from keystone_api.gateways.connections import Hub, hub_of

KEEPALIVE_S = 15.0


def sse(event: dict[str, Any]) -> bytes:
    return f"id: {event['seq']}\nevent: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


router = APIRouter(prefix="/api/v1", tags=["robots"])


@router.get(
    "/device-state/stream",
    summary="Robots' connection, recorder and upload changes as server-sent events",
    description=(
        "`text/event-stream`. First a `snapshot` event per connected device, then one event "
        "per change: `device_connection`, `recorder_state`, `transfer_status`, `upload` "
        "(its `stage`: requested, upload_started, acked, rejected, upload_failed...). "
        "Filter with `device_id` (repeatable) or `device_ids` (comma separated). A comment "
        "line is sent every 15 s to keep proxies from closing the stream."
    ),
    response_class=StreamingResponse,
)
async def stream(
    request: Request,
    principal: CurrentPrincipal,
    device_id: list[str] = Query(default_factory=list),  # noqa: B008 - FastAPI style
    device_ids: str = Query(""),
) -> StreamingResponse:
    principal.require(Role.admin, Role.operator, Role.inspector, Role.collector, Role.display)
    hub = hub_of(request.app)
    wanted = {d.strip() for d in [*device_id, *device_ids.split(",")] if d.strip()}

    def visible(event: dict[str, Any]) -> bool:
        if not principal.sees_factory(event["factory_id"]):
            return False
        return not wanted or event["device_id"] in wanted

    sub = hub.events.subscribe()
    snapshot = [e for e in _snapshot(hub) if visible(e)]

    async def body() -> AsyncIterator[bytes]:
        quiet = 0.0
        try:
            for event in snapshot:
                yield sse(event)
            # Ends when the server stops (it waits for open responses before it exits).
            while not hub.closing.is_set():
                try:
                    event = await asyncio.wait_for(sub.queue.get(), 1.0)
                except TimeoutError:
                    quiet += 1.0
                    if quiet >= KEEPALIVE_S:
                        quiet = 0.0
                        yield b": keepalive\n\n"
                    continue
                quiet = 0.0
                if visible(event):
                    yield sse(event)
        finally:
            hub.events.unsubscribe(sub)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)


def _snapshot(hub: Hub) -> list[dict[str, Any]]:
    """The live devices now: one event each, so a new reader needs no other request."""
    devices: dict[str, Any] = {}
    for link in [*hub.recorders.values(), *hub.transfers.values()]:
        devices[link.device_id] = link.robot
    events = []
    for device, robot in sorted(devices.items()):
        rec = hub.recorders.get(device)
        events.append(
            {
                "type": "snapshot",
                "seq": hub.events.seq,
                "at": time.time(),
                "device_id": device,
                "robot_id": robot.robot_id,
                "factory_id": robot.factory_id,
                "recorder_connected": rec is not None,
                "transfer_connected": device in hub.transfers,
                "recorder_state": rec.state.current if rec else None,
                "task_id": rec.state.task_id if rec else None,
            }
        )
    return events
