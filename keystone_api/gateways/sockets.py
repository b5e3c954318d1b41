"""What both robot sockets do the same way: refuse before accepting, take over from an older
socket of the device, read frames one at a time, and record the connection state."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi.responses import JSONResponse
from starlette.websockets import WebSocket

from keystone_api.db.unit_of_work import db_call
from keystone_api.errors import Conflict, DomainError, TooManyRequests, error_body
from keystone_api.gateways.connections import Hub, Link, parse_frame
from keystone_api.gateways.device_state import set_connected
from keystone_api.gateways.errors import RecorderGone
from keystone_api.gateways.throttle import FRAME_OVERFLOW_CLOSE, throttle_of

log = logging.getLogger("keystone.robots")
T = TypeVar("T")
SERVER_RESTART = 1012  # uvicorn closes every socket with it when the server stops


async def deny(websocket: WebSocket, exc: DomainError) -> None:
    """Refuse the handshake with an HTTP answer (401, 404...) the robot can log."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        body = error_body(exc.code, exc.message, exc.details)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {}
        if isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(exc.retry_after_s)
        await websocket.send_denial_response(JSONResponse(body, exc.status_code, headers))
    else:
        await websocket.close(1008, exc.message[:120])


async def admit(websocket: WebSocket, check: Callable[[], Awaitable[T]]) -> T | None:
    """The handshake's credential check behind the address throttle (a scanner is answered
    429 without database work). None: refused, and already answered."""
    address = websocket.client.host if websocket.client else "unknown"
    try:
        with throttle_of(websocket.app).door(address):
            return await check()
    except DomainError as exc:
        await deny(websocket, exc)
    return None


class AlreadyConnected(Conflict):
    code = "device_already_connected"


def _displaces_authenticated(hub: Hub, link: Link) -> bool:
    current = hub.links(link.kind).get(link.device_id)
    return not link.authenticated and current is not None and current.authenticated


async def accept(hub: Hub, link: Link) -> bool:
    """Accept the socket and make it the device's (replacing an older one). A socket that
    did not authenticate never replaces one that did: refused before and after the
    handshake (the other may have connected meanwhile)."""
    refusal = AlreadyConnected(
        f"device '{link.device_id}' is connected with its device token; "
        "an unauthenticated socket cannot replace it"
    )
    if _displaces_authenticated(hub, link):
        await deny(link.ws, refusal)
        return False
    try:
        await link.ws.accept()
    except Exception:  # noqa: BLE001 - the robot went away during the handshake
        return False
    if _displaces_authenticated(hub, link):
        await link.ws.close(1008, refusal.message[:120])
        return False
    replaced = hub.attach(link)
    if replaced is not None:
        log.info("%s %s: new connection replaces the older one", link.kind, link.device_id)
        await replaced.close(4000, "replaced by a newer connection")
    await sync_connected(hub, link)
    hub.connection_event(link.robot, f"{link.kind}_connected")
    return True


async def sync_connected(hub: Hub, link: Link) -> None:
    """Write whether the device has a socket of this kind *now*. Serialized per device and
    kind, and read under the lock, so that a reconnect racing the old socket's close always
    leaves the database with the latest truth."""
    lock = hub.connection_locks.setdefault((link.device_id, link.kind), asyncio.Lock())
    async with lock:
        connected = link.device_id in hub.links(link.kind)
        await db_call(set_connected, link.robot.robot_id, link.kind, connected)


async def read_loop(
    hub: Hub, link: Link, handle: Callable[[dict[str, Any]], Awaitable[None]]
) -> int:
    """Handle frames in order until the socket closes; returns the close code. A frame that
    fails (bad content, a database hiccup) is refused and logged; the socket stays up."""
    throttle = throttle_of(link.ws.app)
    while True:
        message = await link.ws.receive()
        if message["type"] == "websocket.disconnect":
            return int(message.get("code") or 1000)
        if not throttle.frame_allowed(link.throttle_key):
            link.refuse(f"over the frame rate ({throttle.frames})")
            link.over_rate += 1
            if link.over_rate >= FRAME_OVERFLOW_CLOSE:
                await link.close(1008, "frame rate limit exceeded")
                return 1008
            continue
        raw = message.get("text")
        frame = parse_frame(link, raw if raw is not None else message.get("bytes"))
        if frame is None or not hub.current(link):
            continue
        try:
            await handle(frame)
        except DomainError as exc:
            link.refuse(exc.message)
        except Exception:  # noqa: BLE001 - one bad frame never takes the socket down
            log.exception("%s %s: frame handling failed", link.kind, link.device_id)
            link.rejected += 1


async def close_link(hub: Hub, link: Link) -> bool:
    """Forget the socket; True when it was the device's current one (a real disconnect)."""
    link.closed = True
    current = hub.detach(link)
    for future in link.pending.values():
        if not future.done():
            future.set_exception(RecorderGone("the recorder disconnected before answering"))
    if current:
        try:
            await sync_connected(hub, link)
        except Exception:  # noqa: BLE001 - the database may be what went away
            log.exception("%s %s: could not record the disconnect", link.kind, link.device_id)
        hub.connection_event(link.robot, f"{link.kind}_disconnected")
    return current
