"""The in-process registry of live robot sockets (recorder and transfer, one of each per
device) and their last known state. The gateways' database work runs off the loop with
db/unit_of_work.db_call.

One registry per app. A device that dials again replaces its older socket (the old one is
closed and its later frames are ignored), as the original server does. The registry is
in-process: the gateways run in one API process (a second worker would not see the sockets
of the first), which is also what keeps recorder RPCs and their answers together.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.websockets import WebSocket, WebSocketState

from keystone_api.errors import DomainError
from keystone_api.gateways.device_events import EventBroker

log = logging.getLogger("keystone.robots")

# Robot messages are small JSON objects; anything bigger is refused unread by the handlers.
MAX_FRAME_BYTES = 256 * 1024
MAX_BACKLOG = 1000  # frames of one socket waiting for the database
Job = Callable[[], Awaitable[None]]
SEND_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class RobotRef:
    """What a socket needs to know about its robot, loaded once when it connects."""

    robot_id: str
    device_id: str
    factory_id: str


@dataclass
class RecorderState:
    current: str | None = None
    previous: str | None = None
    task_id: str | None = None
    updated_at: float | None = None  # epoch seconds


@dataclass
class Link:
    """One live socket of a device."""

    kind: Literal["recorder", "transfer"]
    robot: RobotRef
    ws: WebSocket
    # False only for a dev-mode recorder that showed no token: it never displaces a socket
    # that did authenticate.
    authenticated: bool = True
    connected_at: float = field(default_factory=time.time)
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pending: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    state: RecorderState = field(default_factory=RecorderState)
    # What this socket last wrote to the database, so that repeats are not written again.
    persisted: Any = None
    rejected: int = 0  # frames refused (malformed, oversized, unknown, not this device's)
    over_rate: int = 0  # of which refused for coming faster than the frame rate
    closed: bool = False
    backlog: asyncio.Queue[Job | None] = field(
        default_factory=lambda: asyncio.Queue(maxsize=MAX_BACKLOG)
    )
    worker: asyncio.Task[None] | None = None

    @property
    def device_id(self) -> str:
        return self.robot.device_id

    @property
    def throttle_key(self) -> str:
        return f"{self.kind}:{self.device_id}:{id(self)}"

    async def send(self, message: dict[str, Any]) -> bool:
        """Send one JSON frame; False when the socket is gone (the caller decides)."""
        if self.closed or self.ws.application_state != WebSocketState.CONNECTED:
            return False
        try:
            async with self.send_lock:
                await asyncio.wait_for(self.ws.send_text(json.dumps(message)), SEND_TIMEOUT_S)
            return True
        except Exception as exc:  # noqa: BLE001 - a dead or stuck peer: close, report False
            log.warning("%s %s: send failed (%s); closing", self.kind, self.device_id, exc)
            await self.close(1011, "send failed")
            return False

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):  # already closed by the peer
            await self.ws.close(code, reason)

    def defer(self, hub: Hub, job: Job) -> None:
        """Queue a frame's database work, done in arrival order behind the reading, so that
        an RPC answer is never stuck behind the state changes before it."""
        if self.backlog.full():
            self.refuse(f"more than {MAX_BACKLOG} frames waiting for the database")
            return
        self.backlog.put_nowait(job)
        if self.worker is None:
            self.worker = hub.spawn(self._drain())

    async def _drain(self) -> None:
        while (job := await self.backlog.get()) is not None:
            try:
                await job()
            except DomainError as exc:
                self.refuse(exc.message)
            except Exception:  # noqa: BLE001 - one failed frame never stops the others
                log.exception("%s %s: deferred frame failed", self.kind, self.device_id)
                self.rejected += 1

    async def drained(self) -> None:
        """Wait for the queued work (the socket is closed: nothing more comes)."""
        if self.worker is not None:
            await self.backlog.put(None)
            await self.worker

    def refuse(self, why: str) -> None:
        """A frame is refused: counted and logged, the socket stays open."""
        self.rejected += 1
        log.warning("%s %s: frame refused: %s", self.kind, self.device_id, why)


def parse_frame(link: Link, raw: str | bytes | None) -> dict[str, Any] | None:
    """The frame as a JSON object, or None (refused) when it is oversized or malformed."""
    if raw is None:
        return None
    if len(raw) > MAX_FRAME_BYTES:
        link.refuse(f"oversized frame ({len(raw)} bytes, limit {MAX_FRAME_BYTES})")
        return None
    try:
        message = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        link.refuse("malformed JSON")
        return None
    if not isinstance(message, dict):
        link.refuse("not a JSON object")
        return None
    return message


class Hub:
    """Live sockets by device, the event broker, and the gateway's tunables."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.recorders: dict[str, Link] = {}
        self.transfers: dict[str, Link] = {}
        self.events = EventBroker()
        self.rpc_timeout_s = 15.0  # the original server's RPC timeout
        self.upload_cooldown_s = 120.0  # an upload silent this long is requested again
        self.sweep_interval_s = 10.0
        # Set when the gateway runs apart from the API (`keystone gateway`): finish callbacks
        # land in other processes, so new uploads are found by polling the database.
        self.new_upload_poll_s: float | None = None
        self.verify_retry_s = 30.0  # waiting_ack ids are verified again at most this often
        self.recent_requests: dict[str, float] = {}
        self.recent_verifies: dict[str, float] = {}
        self.acked: dict[str, float] = {}  # task id -> when ACKed (re-ACK without the DB)
        self.tasks: set[asyncio.Task[Any]] = set()
        self.connection_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self.closing = asyncio.Event()  # the server is stopping (set from its signal handler)

    def links(self, kind: str) -> dict[str, Link]:
        return self.recorders if kind == "recorder" else self.transfers

    def attach(self, link: Link) -> Link | None:
        """Make `link` the device's socket of its kind; returns the one it replaces."""
        table = self.links(link.kind)
        old = table.get(link.device_id)
        table[link.device_id] = link
        return old

    def detach(self, link: Link) -> bool:
        """Forget `link`; True when it was still the device's current socket."""
        table = self.links(link.kind)
        if table.get(link.device_id) is link:
            del table[link.device_id]
            return True
        return False

    def current(self, link: Link) -> bool:
        return self.links(link.kind).get(link.device_id) is link

    def transfer_for_robot(self, robot_id: str) -> Link | None:
        for link in self.transfers.values():
            if link.robot.robot_id == robot_id:
                return link
        return None

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """A background task kept referenced until done (so it is never garbage collected)."""
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("robot gateway task failed", exc_info=task.exception())

    def connection_event(self, robot: RobotRef, source: str) -> None:
        recorder = robot.device_id in self.recorders
        transfer = robot.device_id in self.transfers
        self.events.publish(
            "device_connection",
            robot,
            recorder_connected=recorder,
            transfer_connected=transfer,
            connected=recorder and transfer,
            source=source,
        )


# Every app's hub in this process: "upload requested" hooks run in worker threads, outside
# any request, and reach the gateways' loops through it.
_hubs: weakref.WeakSet[Hub] = weakref.WeakSet()


def hub_of(app: Any) -> Hub:
    """The app's registry, made on first use (so it also works without the lifespan)."""
    hub: Hub | None = getattr(app.state, "robot_hub", None)
    if hub is None:
        hub = app.state.robot_hub = Hub()
        _hubs.add(hub)
    if hub.loop is None:
        hub.loop = asyncio.get_running_loop()
    return hub


def live_hubs() -> list[Hub]:
    return list(_hubs)


def forget_hub(hub: Hub) -> None:
    _hubs.discard(hub)
