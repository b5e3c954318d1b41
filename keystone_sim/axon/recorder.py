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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection

from keystone_sim.axon.content import RecordedFiles, write_task_recording
from keystone_sim.axon.faults import Faults
from keystone_sim.axon.wsclient import Backoff, Dialer

log = logging.getLogger("keystone_sim.axon")
VERSION = "0.4.0"
OPTIONAL_STRINGS = [
    "data_collector_id",
    "order_id",
    "operator_name",
    "scene",
    "subscene",
    "factory",
    "start_callback_url",
    "finish_callback_url",
    "user_token",
]


def _now_ms() -> int:
    return int(time.time() * 1000)


def _iso_s(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class CallbackSent:
    kind: str  # start | finish
    task_id: str
    status_code: int | None  # None: not sent (fault) or no answer
    error: str | None = None


@dataclass
class Recorder:
    device_id: str
    url: str
    token: str | None
    data_dir: Path
    http: httpx.AsyncClient
    faults: Faults = field(default_factory=Faults)
    backoff: Backoff = field(default_factory=Backoff)
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
        errors = _validate(config)
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
        self.started_at = time.time()
        # Observed order: state_update (ready -> recording), the start callback, rpc_response.
        await self._transition("recording")
        self._callback("start", self._start_body())
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
        )
        self.finished[config["task_id"]] = files
        # Observed order: the finish callback, state_update (recording -> idle), rpc_response.
        self._callback("finish", self._finish_body(config, files, started, finished))
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

    def _start_body(self) -> dict[str, Any]:
        assert self.config is not None and self.started_at is not None
        return {
            "task_id": self.config["task_id"],
            "device_id": self.config["device_id"],
            "status": "recording",
            "started_at": _iso_s(self.started_at),
            "topics": _topic_names(self.config),
        }

    def _finish_body(
        self, config: dict[str, Any], files: RecordedFiles, started: float, finished: float
    ) -> dict[str, Any]:
        # The callback's count is taken before the queues drain: a little lower than the file's.
        shortfall = min(3, files.message_count)
        return {
            "task_id": config["task_id"],
            "device_id": config["device_id"],
            "status": "finished",
            "started_at": _iso_s(started),
            "finished_at": _iso_s(finished),
            "duration_sec": round(finished - started, 3),
            "message_count": files.message_count - shortfall,
            "file_size_bytes": files.size,
            "output_path": str(files.mcap),
            "sidecar_path": str(files.sidecar),
            "sidecar_enabled": True,
            "sidecar_generated": True,
            "topics": files.topics,
            "metadata": {k: config.get(k, "") for k in ("scene", "subscene", "factory")}
            | {"skills": config.get("skills") or []},
            "error": None,
        }

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


def _topic_names(config: dict[str, Any]) -> list[str]:
    names = []
    for topic in config.get("topics") or []:
        name = topic.get("name") if isinstance(topic, dict) else topic
        if isinstance(name, str):
            names.append(name)
    return names


def _validate(config: Any) -> list[dict[str, str]]:
    if not isinstance(config, dict):
        return [{"field": "task_config", "code": "required", "message": "task_config is required"}]
    errors = []
    for key in ("task_id", "device_id"):
        if not isinstance(config.get(key), str) or not config[key]:
            errors.append({"field": key, "code": "required", "message": f"{key} is required"})
    for key in OPTIONAL_STRINGS:
        if key in config and config[key] is not None and not isinstance(config[key], str):
            errors.append({"field": key, "code": "type", "message": f"{key} must be a string"})
    skills = config.get("skills")
    if skills is not None and not (
        isinstance(skills, list) and all(isinstance(s, str) for s in skills)
    ):
        errors.append({"field": "skills", "code": "type", "message": "skills must be string[]"})
    return errors
