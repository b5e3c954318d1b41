"""The robot gateways as one router (mounted by the app), with their lifespan: the registry
of live sockets, the stalled-upload sweep, and the hook that turns "upload requested"
(finish callback, operator retry) into an `upload_request` frame."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from keystone_api.db.unit_of_work import db_call
from keystone_api.gateways import (
    recorder_gateway,
    recorder_router,
    register_router,
    state_stream,
    transfer_gateway,
)
from keystone_api.gateways.connections import Hub, forget_hub, hub_of, live_hubs
from keystone_api.gateways.device_state import clear_connections
from keystone_api.orders.events import task_events
from keystone_api.settings import get_settings

log = logging.getLogger("keystone.robots")
# How soon a gateway running apart from the API notices a finished recording to request.
NEW_UPLOAD_POLL_S = 1.0
_subscribed = False


def _upload_requested(task_id: str, robot_id: str | None) -> None:
    """task_events hook. Called in a request's worker thread, inside its transaction: only
    schedule the send on each gateway's loop, never block or touch the socket here."""
    for hub in live_hubs():
        loop = hub.loop
        if loop is None or loop.is_closed():
            continue

        def schedule(hub: Hub = hub) -> None:
            hub.spawn(transfer_gateway.request_upload(hub, task_id, robot_id, "upload requested"))

        try:
            loop.call_soon_threadsafe(schedule)
        except RuntimeError:  # the loop closed meanwhile
            continue


def _subscribe_once() -> None:
    global _subscribed
    if not _subscribed:
        task_events.on_upload_requested(_upload_requested)
        _subscribed = True


def _chain_stop_signals(hub: Hub) -> None:
    """uvicorn waits for open responses before it stops; the device-state streams never end
    by themselves, so they are told to when the server is asked to stop."""
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue

        def handler(signum: int, frame: Any, previous: Any = previous) -> None:
            loop.call_soon_threadsafe(hub.closing.set)
            previous(signum, frame)

        signal.signal(sig, handler)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    hub = hub_of(app)
    _subscribe_once()
    try:
        await db_call(clear_connections)
    except Exception:  # noqa: BLE001 - no schema yet: /readyz says so, sockets will fail
        log.warning("could not reset robots' connection flags", exc_info=True)
    if get_settings().gateways == "only":
        hub.new_upload_poll_s = NEW_UPLOAD_POLL_S
    sweeper = hub.spawn(transfer_gateway.sweep(hub))
    _chain_stop_signals(hub)
    try:
        yield
    finally:
        hub.closing.set()
        sweeper.cancel()
        forget_hub(hub)


# Registration and templates are stateless: every API process serves them.
registration_router = APIRouter()
registration_router.include_router(register_router.router)

# The gateways hold live sockets: one process (the API when alone, else `keystone gateway`).
gateway_router = APIRouter(lifespan=lifespan)
for _module in (recorder_router, state_stream, recorder_gateway, transfer_gateway):
    gateway_router.include_router(_module.router)

router = APIRouter()
router.include_router(registration_router)
router.include_router(gateway_router)
