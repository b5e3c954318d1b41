"""Following ACKed recordings to their QA decision, through the API (task -> episode ->
status), as an operator watching the dashboard would."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from keystone_sim.factory.events import FleetEvents
from keystone_sim.factory.provision import AdminApi, ApiError
from keystone_sim.factory.records import FLAGGED, Recording


class Decisions:
    def __init__(self, api: AdminApi, events: FleetEvents, every_s: float = 2.0) -> None:
        self.api, self.events, self.every_s = api, events, every_s
        self.undecided: list[Recording] = []

    def follow(self, rec: Recording) -> None:
        self.undecided.append(rec)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            for rec in list(self.undecided):
                try:
                    await self._check(rec)
                except (ApiError, httpx.HTTPError) as exc:
                    self.events.problem(f"decision of {rec.task_id}: {exc}")

    async def wait(self, timeout_s: float) -> None:
        """Until every followed recording is decided, or the timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self.undecided and loop.time() < deadline:
            await asyncio.sleep(0.5)

    async def _get(self, path: str) -> Any:
        return await asyncio.to_thread(self.api.call, "GET", path)

    async def _check(self, rec: Recording) -> None:
        if rec.episode_id is None:
            rec.episode_id = (await self._get(f"/api/v1/tasks/{rec.task_id}"))["episode_id"]
            if rec.episode_id is None:
                return
        status = (await self._get(f"/api/v1/episodes/{rec.episode_id}"))["status"]
        if status == "pending_qa":
            return
        rec.decision = "needs_inspection" if status in FLAGGED else str(status)
        self.undecided.remove(rec)
        self.events.decided(rec)
