"""One emulated Axon robot: `axon-config register`, then its recorder and its transfer
daemon, each on its own reconnecting WebSocket, sharing the robot's recording directory.

    robot = AxonRobot("http://edge:8080", "Factory Shanghai", "SynGloves", Path("/tmp/r1"))
    await robot.register()          # POST register (201), templates, rendered configs
    await robot.start()             # both sockets; reconnect forever until stop()
    ...                             # the server drives it: config, begin, finish, uploads
    latency = await robot.transfer.wait_acked(task_id, timeout=30)
    await robot.stop()
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from keystone_sim.axon.config import Registration, refresh, register
from keystone_sim.axon.faults import Faults
from keystone_sim.axon.recorder import Recorder
from keystone_sim.axon.s3 import S3Target
from keystone_sim.axon.transfer import TransferDaemon
from keystone_sim.axon.wsclient import Backoff
from keystone_sim.recording import RecordingSpec


@dataclass
class AxonRobot:
    keystone_url: str
    factory: str
    robot_type: str
    work_dir: Path
    faults: Faults = field(default_factory=Faults)
    backoff: Backoff = field(default_factory=Backoff)
    status_interval_s: float = 30.0
    # The upload daemon's upload_mode: "mcap_json", or "mcap_only" (no sidecar uploaded).
    upload_mode: str = "mcap_json"
    # Used when the server serves no templates (Axon then keeps its local configs).
    s3_fallback: S3Target | None = None
    # What the recorder writes (None: the emulator's small default).
    recording_spec: RecordingSpec | None = None
    http: httpx.AsyncClient | None = None
    registration: Registration | None = None
    recorder: Recorder | None = None
    transfer: TransferDaemon | None = None
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _own_http: bool = False

    @property
    def device_id(self) -> str:
        assert self.registration is not None, "register() first"
        return self.registration.device_id

    @property
    def data_dir(self) -> Path:
        return self.work_dir / "recording"

    def _client(self) -> httpx.AsyncClient:
        if self.http is None:
            self.http, self._own_http = httpx.AsyncClient(), True
        return self.http

    async def register(self, bearer: str | None = None, *, reuse: bool = True) -> Registration:
        """Register, unless this robot already has (its device.json): then only refresh its
        templates, as `axon-config` does."""
        config_dir = self.work_dir / "config"
        if reuse and bearer is None and (config_dir / "device.json").exists():
            self.registration = await refresh(self._client(), self.keystone_url, config_dir)
            return self.registration
        self.registration = await register(
            self._client(),
            self.keystone_url,
            self.factory,
            self.robot_type,
            config_dir=config_dir,
            bearer=bearer,
        )
        return self.registration

    def _build(self) -> None:
        reg = self.registration
        assert reg is not None, "register() first"
        recorder_yaml = reg.recorder_config()
        recorder_cfg = recorder_yaml.get("rpc", {}).get("ws_client", {})
        paths = (recorder_yaml.get("recording") or {}).get("schema_search_paths")
        transfer_cfg = reg.transfer_config()
        endpoints = reg.response.get("endpoints") or {}
        self.recorder = Recorder(
            device_id=reg.device_id,
            url=recorder_cfg.get("url") or reg.context["recorder_rpc_url"],
            token=recorder_cfg.get("auth_token") or reg.token,
            data_dir=self.data_dir,
            http=self._client(),
            faults=self.faults,
            backoff=self.backoff,
            # Read only as a list, as the real recorder does (a string is ignored).
            schema_search_paths=[str(p) for p in paths] if isinstance(paths, list) else [],
        )
        if self.recording_spec is not None:
            self.recorder.spec = self.recording_spec
        if transfer_cfg:
            s3 = S3Target.from_transfer_yaml(transfer_cfg)
        else:
            assert self.s3_fallback is not None, "no transfer.yaml template and no s3_fallback"
            s3 = self.s3_fallback
        self.transfer = TransferDaemon(
            device_id=str(transfer_cfg.get("device_id") or reg.device_id),
            factory_id=str(transfer_cfg.get("factory_id") or reg.factory_id),
            url=(transfer_cfg.get("ws") or {}).get("url")
            or endpoints.get("transfer_ws_url")
            or reg.context["transfer_ws_url"],
            data_dir=self.data_dir,
            s3=s3,
            faults=self.faults,
            backoff=self.backoff,
            status_interval_s=self.status_interval_s,
            upload_mode=self.upload_mode,
        )

    async def start(self, *, recorder: bool = True, transfer: bool = True) -> None:
        if self.recorder is None or self.transfer is None:
            self._build()
        assert self.recorder is not None and self.transfer is not None
        if recorder:
            self._tasks.append(asyncio.ensure_future(self.recorder.run()))
        if transfer:
            self._tasks.append(asyncio.ensure_future(self.transfer.run()))

    async def wait_connected(self, timeout: float = 10.0) -> None:
        assert self.recorder is not None and self.transfer is not None
        await asyncio.wait_for(self.recorder.dialer.connected.wait(), timeout)
        await asyncio.wait_for(self.transfer.dialer.connected.wait(), timeout)

    async def stop(self) -> None:
        for part in (self.recorder, self.transfer):
            if part is not None:
                await part.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._own_http and self.http is not None:
            await self.http.aclose()
            self.http = None
