"""The Axon recorder's side of the recorder WebSocket (axon-protocol.md sections 2 and 3):
its state machine (idle / ready / recording / paused), its answers and messages in the
orders observed from a real recorder, and its callbacks, sent once from another task."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection

from keystone_sim.axon.content import SMALL, VERSION, RecordedFiles, write_task_recording
from keystone_sim.axon.faults import Faults
from keystone_sim.axon.messages import CallbackSent, finish_body, start_body, validate
from keystone_sim.axon.wsclient import Backoff, Dialer
from keystone_sim.recording import RecordingSpec

log = logging.getLogger("keystone_sim.axon")


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Recorder:
    device_id: str
    url: str
    token: str | None
    data_dir: Path
    http: httpx.AsyncClient
    faults: Faults = field(default_factory=Faults)
    backoff: Backoff = field(default_factory=Backoff)
    # What the next recording contains (topics, rates, resolution, content defects).
    spec: RecordingSpec = field(default_factory=lambda: SMALL)
    # recorder.yaml's recording.schema_search_paths: empty, the schemas are written empty.
    schema_search_paths: list[str] = field(default_factory=list)
    state: str = "idle"
    config: dict[str, Any] | None = None
    started_at: float | None = None
    callbacks: list[CallbackSent] = field(default_factory=list)
    finished: dict[str, RecordedFiles] = field(default_factory=dict)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _conn: ClientConnection | None = None
    _send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def __post_init__(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        self.dialer = Dialer(f"recorder {self.device_id}", self.url, headers, self.backoff)

    async def run(self) -> None:
        await self.dialer.run(self._session, self._stop)

    async def stop(self) -> None:
        self._stop.set()
        await self.dialer.drop()

    async def _session(self, conn: ClientConnection) -> None:
        self._conn = conn
        try:
            # On connect: one state_update with previous == current.
            await self._state_update(self.state, self.state)
            async for raw in conn:
                await self._on_frame(raw)
        finally:
            self._conn = None

    async def _send(self, message: dict[str, Any]) -> None:
        conn = self._conn
        if conn is None:
            return
        async with self._send_lock:
            await conn.send(json.dumps(message))

    async def _state_update(self, previous: str, current: str) -> None:
        data: dict[str, Any] = {"previous": previous, "current": current}
        if self.config and current != "idle":
            data["task_id"] = self.config["task_id"]
        await self._send({"type": "state_update", "timestamp": _now_ms(), "data": data})

    async def _transition(self, current: str) -> None:
        previous, self.state = self.state, current
        await self._state_update(previous, current)

    async def _answer(self, request_id: str, success: bool, message: str, data: Any) -> None:
        reply: dict[str, Any] = {
            "type": "rpc_response",
            "request_id": request_id,
            "success": success,
            "message": message,
        }
        if data is not None:
            reply["data"] = data
        await self._send(reply)

    async def _on_frame(self, raw: str | bytes) -> None:
        try:
            frame = json.loads(raw)
        except ValueError:
            return
        if not isinstance(frame, dict):
            return
        action, request_id = frame.get("action"), frame.get("request_id")
        if not isinstance(action, str) or not isinstance(request_id, str):
            return  # frames without both are ignored
        params = frame.get("params") if isinstance(frame.get("params"), dict) else {}
        if action in self.faults.silent_actions:
            return
        handler = getattr(self, f"_rpc_{action}", None)
        if handler is None:
            await self._answer(request_id, False, f"Unknown action: {action}", None)
            return
        ok, message, data = await handler(params)
        await self._answer(request_id, ok, message, data)

    def _data(self, **extra: Any) -> dict[str, Any]:
        return {"state": self.state, **extra}

    async def _rpc_get_state(self, params: dict[str, Any]) -> tuple[bool, str, Any]:
        data = self._data(version=VERSION, running=self.state in ("recording", "paused"))
        if self.config is not None:
            data["task_config"] = {
                k: self.config.get(k)
                for k in ("task_id", "device_id", "scene", "subscene", "factory", "topics")
            }
        return True, "State retrieved successfully", data

    async def _rpc_get_stats(self, params: dict[str, Any]) -> tuple[bool, str, Any]:
        elapsed = time.time() - self.started_at if self.started_at else 0.0
        return True, "Statistics retrieved successfully", {"duration_sec": elapsed}

    async def _rpc_config(self, params: dict[str, Any]) -> tuple[bool, str, Any]:
        if self.state in ("recording", "paused"):
            return False, "Cannot configure while recording", self._data()
        config = params.get("task_config")
        errors = validate(config)
        if errors:
            data = self._data(validation_errors=errors)
            return False, "Task configuration validation failed", data
        assert isinstance(config, dict)
        self.config = dict(config)
        # Observed order: config_applied, state_update (idle -> ready), rpc_response.
        await self._send(
            {
                "type": "config_applied",
                "timestamp": _now_ms(),
                "data": {"task_id": config["task_id"], "device_id": config["device_id"]},
            }
        )
        if self.state != "ready":
            await self._transition("ready")
        return True, "Task configuration set successfully", self._data(task_id=config["task_id"])

    def _check_task(self, params: dict[str, Any]) -> str | None:
        if self.config is None:
            return "No task configuration cached; send config first"
        task_id = params.get("task_id")
        if not isinstance(task_id, str):
            return "Missing required parameter: task_id"
        if task_id != self.config["task_id"]:
            return f"task_id mismatch: configured '{self.config['task_id']}', got '{task_id}'"
        return None

    async def _rpc_begin(self, params: dict[str, Any]) -> tuple[bool, str, Any]:
        if (error := self._check_task(params)) is not None:
            return False, error, self._data()
        if self.state != "ready":
            return False, "Failed to start recording", self._data()
        assert self.config is not None
        self.started_at = started = time.time()
        # Observed order: state_update (ready -> recording), the start callback, rpc_response.
        await self._transition("recording")
        self._callback("start", start_body(self.config, started))
        return True, "Recording started successfully", self._data(task_id=params["task_id"])

    async def _rpc_pause(self, params: dict[str, Any]) -> tuple[bool, str, Any]:
        if self.state != "recording":
            return False, "Failed to pause recording", self._data()
        await self._transition("paused")
        return True, "Recording paused successfully", self._data()

    async def _rpc_resume(self, params: dict[str, Any]) -> tuple[bool, str, Any]:
        if self.state != "paused":
            return False, "Failed to resume recording", self._data()
        await self._transition("recording")
        return True, "Recording resumed successfully", self._data()

    async def _rpc_finish(self, params: dict[str, Any]) -> tuple[bool, str, Any]:
        if (error := self._check_task(params)) is not None:
            return False, error, self._data()
        if self.state not in ("recording", "paused"):
            return False, "Failed to finish recording", self._data()
        assert self.config is not None and self.started_at is not None
        config, started = self.config, self.started_at
        finished = time.time()
        # The answer comes only once the MCAP and the sidecar are closed and written.
        files = await asyncio.to_thread(
            write_task_recording,
            self.data_dir,
            config,
            self.faults.recording_s or (finished - started),
            int(started * 1e9),
            self.spec,
            self.faults.truncate_recording,
            self.schema_search_paths,
        )
        self.finished[config["task_id"]] = files
        # Observed order: the finish callback, state_update (recording -> idle), rpc_response.
        self._callback("finish", finish_body(config, files, started, finished))
        self.config, self.started_at = None, None
        previous, self.state = self.state, "idle"
        await self._send(
            {
                "type": "state_update",
                "timestamp": _now_ms(),
                "data": {"previous": previous, "current": "idle", "task_id": config["task_id"]},
            }
        )
        return True, "Recording finished successfully", self._data(task_id=config["task_id"])

    async def _rpc_cancel(self, params: dict[str, Any]) -> tuple[bool, str, Any]:
        if self.state not in ("ready", "recording", "paused"):
            return False, "Failed to cancel recording", self._data()
        self.config, self.started_at = None, None  # no files, never a finish callback
        await self._transition("idle")
        return True, "Recording cancelled successfully", self._data()

    async def _rpc_clear(self, params: dict[str, Any]) -> tuple[bool, str, Any]:
        if self.state != "ready":
            return False, "Failed to clear configuration", self._data()
        self.config = None
        await self._transition("idle")
        return True, "Configuration cleared successfully", self._data()

    def _callback(self, kind: str, body: dict[str, Any]) -> None:
        """Fire and forget, from another task: it may reach the server before or after the
        RPC answer. Sent once; no retry, whatever happens."""
        assert self.config is not None
        url = self.config.get(f"{kind}_callback_url")
        if not url or kind in self.faults.lost_callbacks:
            self.callbacks.append(CallbackSent(kind, body["task_id"], None, "not sent"))
            return
        headers = {"Content-Type": "application/json", "User-Agent": "axon-recorder/1.0"}
        if self.config.get("user_token"):
            headers["Authorization"] = f"Bearer {self.config['user_token']}"
        task = asyncio.ensure_future(self._post(kind, url, body, headers))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(
        self, kind: str, url: str, body: dict[str, Any], headers: dict[str, str]
    ) -> None:
        if self.faults.callback_jitter_s:
            await asyncio.sleep(random.uniform(0, self.faults.callback_jitter_s))
        try:
            resp = await self.http.post(url, json=body, headers=headers, timeout=30)
            self.callbacks.append(CallbackSent(kind, body["task_id"], resp.status_code))
        except httpx.HTTPError as exc:
            self.callbacks.append(CallbackSent(kind, body["task_id"], None, str(exc)))

    async def drop_connection(self) -> None:
        await self.dialer.drop()
