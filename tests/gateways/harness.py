"""A factory on the real app, with emulated Axon robots driven through the real API."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from keystone_api.db.engine import get_sessionmaker
from keystone_sim.axon import AxonRobot, Backoff, Faults
from tests.api.world import World, auth, build_world

_n = itertools.count(1)


@dataclass
class Gateway:
    base: str
    app: Any

    @property
    def hub(self) -> Any:
        return self.app.state.robot_hub

    def reset_tunables(self) -> None:
        if self.app is None:
            return
        hub = self.hub
        hub.rpc_timeout_s, hub.upload_cooldown_s = 15.0, 120.0
        hub.sweep_interval_s, hub.verify_retry_s = 10.0, 30.0


@dataclass
class Station:
    robot: AxonRobot
    ws_id: str
    collector: str  # username


@dataclass
class Site:
    gateway: Gateway
    http: httpx.AsyncClient
    world: World
    tmp: Path
    factory: str = ""
    robot_type: str = ""
    # The factory's enrollment URL (`http://enroll:SECRET@host:port`), as a robot is given.
    enroll_url: str = ""
    robots: list[AxonRobot] = field(default_factory=list)

    @property
    def admin(self) -> str:
        return self.world.admin

    async def call(
        self, method: str, path: str, token: str | None = None, expect: int = 200, **kw: Any
    ) -> Any:
        resp = await self.http.request(method, path, headers=auth(token or self.admin), **kw)
        assert resp.status_code == expect, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json() if resp.content else None

    def robot(self, faults: Faults | None = None, **kw: Any) -> AxonRobot:
        robot = AxonRobot(
            self.enroll_url,
            self.factory,
            self.robot_type,
            self.tmp / f"robot-{next(_n)}",
            faults=faults or Faults(),
            backoff=Backoff(initial_s=0.1, max_s=1.0),
            status_interval_s=kw.pop("status_interval_s", 30.0),
            http=self.http,
            **kw,
        )
        self.robots.append(robot)
        return robot

    async def online_robot(self, faults: Faults | None = None, **kw: Any) -> AxonRobot:
        robot = self.robot(faults, **kw)
        await robot.register()
        await robot.start()
        await robot.wait_connected()
        await self.until(lambda: self._live(robot), what="recorder state known")
        return robot

    async def online_robot_at(self, gateway: str, faults: Faults | None = None) -> AxonRobot:
        """A robot online when the gateways run in their own process at `gateway`."""
        robot = self.robot(faults)
        await robot.register()
        await robot.start()
        await robot.wait_connected()
        async with httpx.AsyncClient(base_url=gateway, timeout=30) as gw:

            async def live() -> bool:
                resp = await gw.get(
                    f"/api/v1/recorder/{robot.device_id}/state", headers=auth(self.admin)
                )
                state = resp.json()
                return bool(state["connected"] and state["transfer_connected"] and state["state"])

            await self.until(live, what="recorder state known")
        return robot

    async def _live(self, robot: AxonRobot) -> bool:
        state = await self.call("GET", f"/api/v1/recorder/{robot.device_id}/state")
        return bool(state["connected"] and state["transfer_connected"] and state["state"])

    async def station(self, robot: AxonRobot) -> Station:
        """A collector and a workstation with this robot."""
        w, i = self.world, next(_n)
        username = f"collector-{self.world.factory_id[-8:]}-{i}"
        w.passwords[username] = "password-" + username
        body = {
            "factory_id": w.factory_id,
            "name": f"Collector {i}",
            "employee_code": f"C{i:04d}",
            "username": username,
            "password": w.passwords[username],
        }
        await self.call("POST", "/api/v1/data-collectors", expect=201, json=body)
        robot_id = robot.registration.response["robot_id"]  # type: ignore[union-attr]
        ws = await self.call(
            "POST",
            "/api/v1/workstations",
            expect=201,
            json={"factory_id": w.factory_id, "name": f"WS-{i:03d}", "robot_id": robot_id},
        )
        return Station(robot, ws["id"], username)

    async def order(self, target: int = 1, **extra: Any) -> dict[str, Any]:
        return await asyncio.to_thread(lambda: self.world.order(target, **extra))

    async def collector_token(self, station: Station) -> str:
        return await asyncio.to_thread(self.world.login, station.collector, station.ws_id)

    async def next_task(self, station: Station) -> tuple[str, dict[str, Any]]:
        token = await self.collector_token(station)
        task = await self.call("POST", f"/api/v1/workstations/{station.ws_id}/tasks/next", token)
        return token, task

    async def act(
        self, robot: AxonRobot, action: str, token: str, expect: int = 200, **body: Any
    ) -> Any:
        path = f"/api/v1/recorder/{robot.device_id}/{action}"
        return await self.call("POST", path, token, expect=expect, json=body or None)

    async def task(self, task_id: str) -> dict[str, Any]:
        return await self.call("GET", f"/api/v1/tasks/{task_id}")

    async def until(
        self, check: Callable[[], Awaitable[bool]], timeout: float = 20, what: str = "condition"
    ) -> None:
        """Wait for a condition (a hang guard, not a timing assertion)."""
        deadline = time.monotonic() + timeout
        while not await check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.05)

    async def wait_status(self, task_id: str, status: str, timeout: float = 20) -> dict[str, Any]:
        async def reached() -> bool:
            return (await self.task(task_id))["status"] == status

        await self.until(reached, timeout, f"task {task_id} {status}")
        return await self.task(task_id)

    async def record(
        self, station: Station, token: str, task_id: str, pause_s: float = 0.2
    ) -> dict[str, Any]:
        """config, begin, finish through the API; returns the finish answer."""
        await self.act(station.robot, "config", token, task_id=task_id)
        await self.act(station.robot, "begin", token)
        await asyncio.sleep(pause_s)
        return await self.act(station.robot, "finish", token)

    async def close(self) -> None:
        await asyncio.gather(*(r.stop() for r in self.robots), return_exceptions=True)
        self.world.client.close()


async def build_site(gateway: Gateway, http: httpx.AsyncClient, tmp: Path) -> Site:
    def world() -> World:
        with httpx.Client(base_url=gateway.base, timeout=30) as client:
            w = build_world(client, stations=0)
        w.client = httpx.Client(base_url=gateway.base, timeout=30)
        return w

    w = await asyncio.to_thread(world)
    site = Site(gateway, http, w, tmp)
    site.factory = (await site.call("GET", f"/api/v1/factories/{w.factory_id}"))["name"]
    site.robot_type = (await site.call("GET", f"/api/v1/robot-types/{w.robot_type_id}"))["name"]
    path = f"/api/v1/robot_types/{w.robot_type_id}/config_templates/defaults"
    await site.call("POST", path)
    body = {"factory_id": w.factory_id, "label": "test robots"}
    site.enroll_url = (
        await site.call("POST", "/api/v1/enrollment-secrets", expect=201, json=body)
    )["enroll_url"]
    return site


def count_episodes(task_id: str) -> int:
    from keystone_api.episodes.models import Episode

    with get_sessionmaker()() as session:
        return int(
            session.execute(
                select(func.count()).select_from(Episode).where(Episode.task_id == task_id)
            ).scalar_one()
        )


def upload_row(task_id: str) -> Any:
    from keystone_api.gateways.models import TaskUpload

    with get_sessionmaker()() as session:
        return session.get(TaskUpload, task_id)
