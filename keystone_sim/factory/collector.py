"""A simulated data collector: logs in at a workstation, asks for the next task and drives
the recorder through the API, as the collector's UI does."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx

from keystone_sim.factory.provision import ApiError, StationAccount


class NoWork(RuntimeError):
    """The workstation has no task waiting (the orders need topping up)."""


class Collector:
    def __init__(
        self, http: httpx.AsyncClient, api_url: str, account: StationAccount, device_id: str
    ) -> None:
        self.http, self.base = http, api_url.rstrip("/")
        self.account, self.device_id = account, device_id
        self.token: str | None = None

    async def login(self) -> None:
        body = {
            "username": self.account.username,
            "password": self.account.password,
            "workstation_id": self.account.workstation_id,
        }
        resp = await self.http.post(f"{self.base}/api/v1/auth/login", json=body, timeout=30)
        if resp.status_code != 200:
            raise ApiError("POST", "/api/v1/auth/login", resp)
        self.token = str(resp.json()["access_token"])

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        for attempt in range(2):
            if self.token is None:
                await self.login()
            resp = await self.http.request(
                method,
                self.base + path,
                json=body,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=60,
            )
            if resp.status_code == 401 and attempt == 0:
                self.token = None  # expired: log in again, once
                continue
            if resp.status_code >= 300:
                raise ApiError(method, path, resp)
            return resp.json() if resp.content else None
        raise AssertionError("unreachable")

    async def next_task(self) -> dict[str, Any]:
        path = f"/api/v1/workstations/{self.account.workstation_id}/tasks/next"
        try:
            return dict(await self.call("POST", path))
        except ApiError as exc:
            if exc.code == "no_task_available":
                raise NoWork(str(exc)) from None
            raise

    async def act(self, action: str, task_id: str | None = None) -> dict[str, Any]:
        body = {"task_id": task_id} if task_id else None
        return dict(await self.call("POST", f"/api/v1/recorder/{self.device_id}/{action}", body))

    async def abandon(self, task_id: str) -> None:
        """Best effort, as a collector walking away: stop the recorder, give the task back."""
        for action in ("cancel", "release"):
            with contextlib.suppress(ApiError, httpx.HTTPError, asyncio.TimeoutError):
                if action == "cancel":
                    await asyncio.wait_for(self.act("cancel"), 5)
                else:
                    path = f"/api/v1/tasks/{task_id}/release"
                    await asyncio.wait_for(self.call("POST", path, {"reason": "simulator"}), 5)
