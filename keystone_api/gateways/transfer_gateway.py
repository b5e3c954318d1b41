"""The transfer WebSocket (axon-protocol.md section 4): the daemon dials
`/transfer/{device_id}`; the server asks for uploads (after a finish callback or a `finish`
answer, on connect for anything unfinished, and again when an upload stalls), records what
the daemon reports, and ACKs an upload only once it is verified and registered."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, WebSocket

from keystone_api.db.base import utcnow
from keystone_api.db.unit_of_work import db_call
from keystone_api.errors import Unauthorized
from keystone_api.gateways import uploads
from keystone_api.gateways.connections import Hub, Link, hub_of
from keystone_api.gateways.device_state import record_transfer_status, transfer_device
from keystone_api.gateways.endpoints import TRANSFER_KEYED_PATH, TRANSFER_PATH
from keystone_api.gateways.sockets import accept, admit, close_link, read_loop
from keystone_api.settings import get_settings

log = logging.getLogger("keystone.robots.transfer")
router = APIRouter()
REQUEST_DEDUP_S = 5.0  # the callback and the finish answer both ask: one request is enough
MAX_WAITING_IDS = 200
STATUS_FIELDS = [
    "version",
    "device_id",
    "pending_count",
    "active_count",
    "uploading_count",
    "retry_wait_count",
    "waiting_ack_count",
    "waiting_ack_task_ids",
    "completed_count",
    "failed_count",
    "pending_bytes",
    "bytes_per_sec",
    "uploads",
]


@router.websocket(TRANSFER_PATH + "/{device_id}")
async def unkeyed_transfer_socket(websocket: WebSocket, device_id: str) -> None:
    """The bare `/transfer/{device_id}` of older registrations: refused, saying why."""

    async def refuse() -> None:
        raise Unauthorized(
            "the transfer URL needs the device's key (/transfer/k/KEY/DEVICE_ID): take "
            "transfer_ws_url from a new registration or a token rotation"
        )

    await admit(websocket, refuse)


@router.websocket(TRANSFER_KEYED_PATH + "/{key}/{device_id}")
async def transfer_socket(websocket: WebSocket, key: str, device_id: str) -> None:
    hub = hub_of(websocket.app)
    robot = await admit(websocket, lambda: db_call(transfer_device, get_settings(), device_id, key))
    if robot is None:
        return
    link = Link("transfer", robot, websocket)
    if not await accept(hub, link):
        return
    hub.spawn(resume(hub, link))
    await read_loop(hub, link, lambda frame: on_frame(hub, link, frame))
    await close_link(hub, link)


def fields(frame: dict[str, Any]) -> dict[str, Any]:
    """The original server reads a `data` envelope; Axon versions differ: accept both."""
    data = frame.get("data")
    merged = dict(data) if isinstance(data, dict) else {}
    merged.update({k: v for k, v in frame.items() if k not in ("type", "data", "timestamp")})
    return merged


async def on_frame(hub: Hub, link: Link, frame: dict[str, Any]) -> None:
    kind = frame.get("type")
    body = fields(frame)
    if kind in ("connected", "status"):
        await on_status(hub, link, str(kind), body)
        return
    task_id = body.get("task_id")
    if kind not in ("upload_started", "upload_complete", "upload_failed", "upload_not_found"):
        link.refuse(f"unknown message type {kind!r}")
        return
    if not isinstance(task_id, str) or not 0 < len(task_id) <= 64:
        link.refuse(f"{kind} without a valid task_id")
        return
    if kind == "upload_complete":
        await verify(hub, link, task_id, body)
        return
    if kind == "upload_started":
        status = await db_call(uploads.note_started, link.robot, task_id, body)
    elif kind == "upload_failed":
        reason = str(body.get("reason") or "upload failed")[:2000]
        status = await db_call(
            uploads.note_failed, link.robot, task_id, reason, body.get("retry_count")
        )
    else:
        detail = str(body.get("detail") or "no such recording on the robot")[:2000]
        status = await db_call(uploads.note_not_found, link.robot, task_id, detail)
    if status is None:
        link.refuse(f"{kind} for task {task_id!r}, which is not this device's")
        return
    if kind != "upload_started":
        hub.recent_requests.pop(task_id, None)  # over: the next request (a retry) must go out
    hub.events.publish("upload", link.robot, task_id=task_id, stage=kind, task_status=status)


async def on_status(hub: Hub, link: Link, kind: str, body: dict[str, Any]) -> None:
    status = {k: body[k] for k in STATUS_FIELDS if k in body}
    if status != link.persisted:  # a daemon reports every 30 s, mostly the same
        await db_call(record_transfer_status, link.robot.robot_id, status)
        link.persisted = status
    active = [
        u["task_id"]
        for u in body.get("uploads") or []
        if isinstance(u, dict)
        and isinstance(u.get("task_id"), str)
        and u.get("status") in ("uploading", "active", "pending", "retry_wait")
    ]
    if active:
        await db_call(uploads.touch_active, link.robot, active)
    counts = {k: v for k, v in status.items() if k.endswith("_count")}
    hub.events.publish("transfer_status", link.robot, source=kind, **counts)
    waiting = body.get("waiting_ack_task_ids") or []
    if isinstance(waiting, list):
        for task_id in waiting[:MAX_WAITING_IDS]:
            if isinstance(task_id, str) and 0 < len(task_id) <= 64:
                await reack(hub, link, task_id)


async def reack(hub: Hub, link: Link, task_id: str) -> None:
    """A task the daemon still waits on: ACK it again if verified, else verify it now (at
    most every `verify_retry_s`, as `status` repeats the list)."""
    if task_id in hub.acked:
        await send_ack(hub, link, task_id)
        return
    last = hub.recent_verifies.get(task_id)
    if last is not None and time.monotonic() - last < hub.verify_retry_s:
        return
    hub.recent_verifies[task_id] = time.monotonic()
    if await db_call(uploads.already_acked, link.robot, task_id):
        await send_ack(hub, link, task_id)
        return
    await verify(hub, link, task_id, {})


async def verify(hub: Hub, link: Link, task_id: str, info: dict[str, Any]) -> None:
    hub.recent_verifies[task_id] = time.monotonic()
    verdict = await db_call(uploads.verify_and_register, get_settings(), link.robot, task_id, info)
    if verdict.reason == "not_owned":
        link.refuse(f"upload_complete for task {task_id!r}, which is not this device's")
        return
    stage = "acked" if verdict.ack else "rejected"
    hub.events.publish(
        "upload",
        link.robot,
        task_id=task_id,
        stage=stage,
        task_status=verdict.task_status,
        episode_id=verdict.episode_id,
        reason=verdict.reason,
    )
    if verdict.ack:
        await send_ack(hub, link, task_id)
    else:
        hub.recent_requests.pop(task_id, None)
        log.warning("upload of task %s from %s not ACKed: %s", task_id, link.device_id, verdict)


async def send_ack(hub: Hub, link: Link, task_id: str) -> None:
    hub.acked[task_id] = time.monotonic()
    target = hub.transfers.get(link.device_id) or link  # a newer socket of the device
    await target.send({"type": "upload_ack", "task_id": task_id})


async def request_upload(hub: Hub, task_id: str, robot_id: str | None, reason: str) -> bool:
    """Ask the robot's daemon for a task's recording; False when it is not connected here
    (the request is made when it connects) or when it was just asked."""
    link = hub.transfer_for_robot(robot_id) if robot_id else None
    if link is None or task_id in hub.acked:
        return False
    last = hub.recent_requests.get(task_id)
    if last is not None and time.monotonic() - last < REQUEST_DEDUP_S:
        return False
    hub.recent_requests[task_id] = time.monotonic()
    # Noted before it is sent: the daemon's answer may come back before a later write.
    await db_call(uploads.note_request, link.robot, task_id)
    if not await link.send({"type": "upload_request", "task_id": task_id, "priority": 1}):
        return False
    hub.events.publish("upload", link.robot, task_id=task_id, stage="requested", reason=reason)
    return True


async def resume(hub: Hub, link: Link) -> None:
    """On connect: ask for every upload of this robot that is not finished."""
    due = await db_call(uploads.uploads_to_request, [link.robot.robot_id], None)
    for task_id, robot_id in due:
        await request_upload(hub, task_id, robot_id, "transfer daemon connected")


async def sweep(hub: Hub) -> None:
    """Forever: ask again for uploads silent longer than the cooldown. (Short naps, so a
    changed interval takes effect at once.)"""
    last = polled = time.monotonic()
    while True:
        await asyncio.sleep(min(hub.sweep_interval_s, hub.new_upload_poll_s or 1.0, 1.0))
        if hub.new_upload_poll_s and time.monotonic() - polled >= hub.new_upload_poll_s:
            polled = time.monotonic()
            try:
                await request_new_uploads(hub)
            except Exception:  # noqa: BLE001 - the next poll tries again
                log.exception("new upload poll failed")
        if time.monotonic() - last < hub.sweep_interval_s:
            continue
        last = time.monotonic()
        try:
            await sweep_once(hub)
        except Exception:  # noqa: BLE001 - the next sweep tries again
            log.exception("upload sweep failed")


async def request_new_uploads(hub: Hub) -> None:
    """Ask connected robots for uploads nobody asked for yet (their finish callbacks were
    answered by another process)."""
    robot_ids = [link.robot.robot_id for link in hub.transfers.values()]
    for task_id, robot_id in await db_call(uploads.uploads_to_request, robot_ids, None, 200, True):
        await request_upload(hub, task_id, robot_id, "upload requested")


async def sweep_once(hub: Hub) -> None:
    robot_ids = [link.robot.robot_id for link in hub.transfers.values()]
    cutoff = utcnow() - timedelta(seconds=hub.upload_cooldown_s)
    for task_id, robot_id in await db_call(uploads.uploads_to_request, robot_ids, cutoff):
        hub.recent_requests.pop(task_id, None)
        await request_upload(hub, task_id, robot_id, "upload stalled: requested again")
    horizon = time.monotonic() - 3600
    for table in (hub.acked, hub.recent_requests, hub.recent_verifies):
        for key in [k for k, at in table.items() if at < horizon]:
            del table[key]
