"""The recorder WebSocket (axon-protocol.md section 2): the recorder dials
`/recorder/{device_id}` with its device token; the server sends `get_state`, tracks every
`state_update`, `config_applied` and `rpc_response`, and sends the collectors' actions."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from fastapi import APIRouter, WebSocket

from keystone_api.db.unit_of_work import db_call
from keystone_api.errors import DomainError
from keystone_api.gateways import task_sync
from keystone_api.gateways.connections import Hub, Link, RecorderState, hub_of
from keystone_api.gateways.device_state import record_recorder_state, recorder_device
from keystone_api.gateways.endpoints import RECORDER_PATH
from keystone_api.gateways.errors import RecorderRefused, RecorderTimeout
from keystone_api.gateways.sockets import SERVER_RESTART, accept, admit, close_link, read_loop
from keystone_api.ids import new_id
from keystone_api.settings import get_settings

log = logging.getLogger("keystone.robots.recorder")
STATES = frozenset({"idle", "ready", "recording", "paused"})
HOLDS_TASK = frozenset({"ready", "recording", "paused"})
router = APIRouter()


@router.websocket(RECORDER_PATH + "/{device_id}")
async def recorder_socket(websocket: WebSocket, device_id: str) -> None:
    hub = hub_of(websocket.app)
    auth = websocket.headers.get("authorization")
    admitted = await admit(
        websocket, lambda: db_call(recorder_device, get_settings(), device_id, auth)
    )
    if admitted is None:
        return
    robot, authenticated = admitted
    link = Link("recorder", robot, websocket, authenticated=authenticated)
    if not await accept(hub, link):
        return
    hub.spawn(sync_state(hub, link))
    code = await read_loop(hub, link, lambda frame: on_frame(hub, link, frame))
    current = await close_link(hub, link)
    await link.drained()  # the recorder's last reports count before anything is released
    if current and code != SERVER_RESTART and not hub.closing.is_set():
        # The recorder keeps recording without its socket and comes back: its tasks stay
        # its own, marked offline. (When this server stops nothing is marked: it is not the
        # robot that went away.)
        marked = await db_call(task_sync.mark_recorder_offline, robot)
        if marked:
            log.info("recorder %s offline: tasks %s kept, marked offline", device_id, marked)
            hub.events.publish("recorder_offline", robot, task_ids=marked)


async def call(hub: Hub, link: Link, action: str, params: dict[str, Any]) -> dict[str, Any]:
    """One RPC: send, then wait for the `rpc_response` with the same request_id."""
    request_id = new_id()
    future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    link.pending[request_id] = future
    frame = {
        "action": action,
        "request_id": request_id,
        "params": params,
        "timestamp_ms": int(time.time() * 1000),
    }
    try:
        if not await link.send(frame):
            raise RecorderRefused(f"could not send '{action}': the recorder socket is closed")
        return await asyncio.wait_for(future, hub.rpc_timeout_s)
    except TimeoutError:
        raise RecorderTimeout(
            f"the recorder of device '{link.device_id}' did not answer '{action}' within "
            f"{hub.rpc_timeout_s:g} s; whether it acted is unknown: check its state",
            {"action": action, "request_id": request_id, "result_unknown": True},
        ) from None
    finally:
        link.pending.pop(request_id, None)


async def sync_state(hub: Hub, link: Link) -> None:
    """The original server asks for the state on connect; so do we."""
    try:
        response = await call(hub, link, "get_state", {})
    except DomainError as exc:
        log.info("recorder %s: get_state on connect failed: %s", link.device_id, exc.message)
        return
    data = _obj(response.get("data"))
    state = data.get("state") or data.get("current") or data.get("current_state")
    config = _obj(data.get("task_config"))
    task_id = data.get("task_id") or config.get("task_id")
    if response.get("success") is True and state in STATES:
        await apply_state(hub, link, state, link.state.current, task_id, "get_state")


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


async def on_frame(hub: Hub, link: Link, frame: dict[str, Any]) -> None:
    kind = frame.get("type")
    if kind == "rpc_response":
        request_id = frame.get("request_id")
        future = link.pending.get(request_id) if isinstance(request_id, str) else None
        if future is None or future.done():
            link.refuse(f"rpc_response for an unknown request_id {request_id!r}")
            return
        future.set_result(frame)
        return
    data = frame.get("data")
    if kind not in ("state_update", "config_applied") or not isinstance(data, dict):
        link.refuse(f"unknown or malformed message type {kind!r}")
        return
    task_id = data.get("task_id")
    task_id = task_id if isinstance(task_id, str) and 0 < len(task_id) <= 64 else None
    if kind == "config_applied":
        if task_id is None:
            link.refuse("config_applied without a task_id")
            return

        async def ready() -> None:
            status = await db_call(task_sync.task_ready, link.robot, task_id, "config applied")
            if status is None:
                link.refuse(f"config_applied for task {task_id!r}, which is not this device's")

        link.defer(hub, ready)
        return
    current = data.get("current")
    if current not in STATES:
        link.refuse(f"state_update with an unknown state {current!r}")
        return
    previous = data.get("previous") if data.get("previous") in STATES else None
    await apply_state(hub, link, current, previous, task_id, "state_update")


async def apply_state(
    hub: Hub, link: Link, current: str, previous: str | None, task_id: Any, source: str
) -> None:
    """Keep the recorder's state: in memory at once (the next action reads it), in the
    database and on its task in order, behind the socket's reading."""
    task_id = task_id if isinstance(task_id, str) and task_id and current in HOLDS_TASK else None
    at = time.time()
    link.state = RecorderState(current, previous, task_id, at)
    if link.persisted == (current, task_id):
        return  # a repeat (the state_update on connect and the get_state answer agree)
    link.persisted = (current, task_id)
    link.defer(hub, lambda: _persist_state(hub, link, current, previous, task_id, at, source))


async def _persist_state(
    hub: Hub,
    link: Link,
    current: str,
    previous: str | None,
    task_id: str | None,
    at: float,
    source: str,
) -> None:
    def work(session: Any) -> str | None:
        record_recorder_state(session, link.robot.robot_id, current, task_id, at)
        task_sync.recorder_back(session, link.robot, current, task_id)
        if task_id is None:
            return None
        cause = f"recorder {current} ({source})"
        if current == "ready":
            return task_sync.task_ready(session, link.robot, task_id, cause)
        return task_sync.task_recording(session, link.robot, task_id, cause)

    status = await db_call(work)
    if task_id is not None and status is None:
        link.refuse(f"{source} names task {task_id!r}, which is not this device's")
    hub.events.publish(
        "recorder_state",
        link.robot,
        current_state=current,
        previous_state=previous,
        task_id=task_id,
        task_status=status,
        source=source,
    )
