"""A simulated fleet against a real Keystone edge: N emulated Axon robots (keystone_sim.axon:
registration, templates, both WebSockets, callbacks, MCAP + sidecar uploads) and a
collector per workstation driving each through the API; recordings follow a plan (clean or
one defect), and the simulator follows each one to its upload_ack and its QA decision.

    report = await Fleet(target, FleetOptions(robots=4, episodes=12)).run()
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from keystone_sim.axon import AxonRobot, Backoff, Faults
from keystone_sim.fleet.collector import Collector, NoWork
from keystone_sim.fleet.defects import Plan, fleet_spec
from keystone_sim.fleet.events import FleetEvents
from keystone_sim.fleet.provision import (
    AdminApi,
    ApiError,
    ProvisionError,
    StationAccount,
    create_demo_order,
    ensure_station,
    find_work_source,
    pair_robot,
    schedule_demo_orders,
)
from keystone_sim.fleet.records import FLAGGED, Budget, FleetReport, Planner, Recording
from keystone_sim.fleet.target import Target

RETRYABLE = (ApiError, httpx.HTTPError, TimeoutError)


@dataclass
class FleetOptions:
    robots: int = 4
    episodes: int = 12  # recordings in all, over the fleet; 0: until stopped
    seconds: float = 4.0  # length of a clean recording
    interval_s: float = 0.0  # between the starts of one robot's recordings; 0: back to back
    defect_rate: float = 0.2
    width: int = 320
    height: int = 240
    fleet: str = "sim"  # names its workstations and collectors: several fleets can share an edge
    work_dir: Path = field(default_factory=lambda: Path(".keystone/fleets/sim"))
    seed: int = 0
    ack_timeout_s: float = 180.0
    decision_timeout_s: float = 300.0  # 0: do not wait for QA decisions at the end


@dataclass
class Station:
    robot: AxonRobot
    account: StationAccount


class Fleet:
    def __init__(self, target: Target, options: FleetOptions, events: FleetEvents | None = None):
        self.target, self.options = target, options
        self.events = events or FleetEvents()
        self.report = FleetReport()
        self.budget = Budget(options.episodes)
        spec = fleet_spec(options.width, options.height)
        self.planner = Planner(spec, options.seconds, options.defect_rate, options.seed)
        self.stations: list[Station] = []
        self.undecided: list[Recording] = []
        self._waiters: set[asyncio.Task[None]] = set()
        self._work_lock = asyncio.Lock()
        self._work_at = -1e9

    async def run(self) -> FleetReport:
        self.http = httpx.AsyncClient(timeout=30)
        self.api = AdminApi(self.target.api_url, self.target.admin_token)
        try:
            await self._setup()
            tracker = asyncio.ensure_future(self._track_decisions())
            try:
                await asyncio.gather(*(self._station(s) for s in self.stations))
                await asyncio.gather(*list(self._waiters), return_exceptions=True)
                await self._await_decisions()
            finally:
                tracker.cancel()
        finally:
            await self._shutdown()
        return self.report

    # -- setting up -----------------------------------------------------------------------

    async def _setup(self) -> None:
        opts, target = self.options, self.target
        factory = await asyncio.to_thread(self.api.named, "/api/v1/factories", target.factory)
        if factory is None:
            raise ProvisionError(f"factory '{target.factory}' not found on {target.api_url}")
        self._forget_other_edge()
        for index in range(1, opts.robots + 1):
            account = await asyncio.to_thread(
                ensure_station, self.api, factory["id"], opts.fleet, index,
                target.collector_password,
            )  # fmt: skip
            robot = await self._robot(index)
            assert robot.registration is not None
            robot_id = str(robot.registration.response["robot_id"])
            name = f"{opts.fleet} robot {index:02d}"
            await asyncio.to_thread(pair_robot, self.api, account.workstation_id, robot_id, name)
            self.stations.append(Station(robot, account))
            self.report.robots.append(robot.device_id)
            self.events.robot_ready(robot.device_id, index)
        first = self.stations[0].robot.registration
        assert first is not None
        robot_type_id = str(first.response["robot_type_id"])
        self.source = await asyncio.to_thread(
            find_work_source, self.api, factory["id"], robot_type_id
        )
        await asyncio.to_thread(schedule_demo_orders, self.api, self.source, self._ws_ids())
        for station in self.stations:
            await self._until_online(station.robot)

    def _forget_other_edge(self) -> None:
        """Robots remember their registration (device.json) across runs; a fleet directory
        used against another edge starts afresh."""
        marker = self.options.work_dir / "edge.json"
        edge = {"api": self.target.api_url, "factory": self.target.factory}
        if marker.exists() and json.loads(marker.read_text()) != edge:
            shutil.rmtree(self.options.work_dir)
        self.options.work_dir.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps(edge))

    async def _robot(self, index: int) -> AxonRobot:
        work = self.options.work_dir / f"robot-{index:02d}"
        device_file = work / "config" / "device.json"
        if device_file.exists():
            device_id = json.loads(device_file.read_text()).get("device_id")
            known = await asyncio.to_thread(self.api.items, "/api/v1/robots", device_id=device_id)
            if not known:  # the edge lost it (a wiped database): register again
                shutil.rmtree(work)
        robot = AxonRobot(
            self.target.api_url,
            self.target.factory,
            self.target.robot_type,
            work,
            faults=Faults(),
            backoff=Backoff(initial_s=0.5, max_s=10.0),
            status_interval_s=10.0,
            http=self.http,
            recording_spec=self.planner.base,
        )
        await robot.register()
        await robot.start()
        return robot

    async def _until_online(self, robot: AxonRobot, timeout: float = 30.0) -> None:
        """Both sockets up as the server sees them: a collector's first config then works."""
        await robot.wait_connected(timeout)
        path = f"/api/v1/recorder/{robot.device_id}/state"
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            state = await asyncio.to_thread(self.api.call, "GET", path)
            if state["connected"] and state["transfer_connected"] and state["state"]:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise ProvisionError(f"robot {robot.device_id} did not come online")
            await asyncio.sleep(0.2)

    def _ws_ids(self) -> list[str]:
        return [s.account.workstation_id for s in self.stations]

    async def _more_work(self) -> None:
        """A station ran dry: top up the demo orders, or open a new one."""
        loop = asyncio.get_running_loop()
        async with self._work_lock:
            if loop.time() - self._work_at > 3:  # else another station just did it
                ws = self._ws_ids()
                created = await asyncio.to_thread(schedule_demo_orders, self.api, self.source, ws)
                if not created:
                    left = self.budget.total - self.budget.taken
                    size = max(left, len(ws)) if self.budget.total else len(ws) * 25
                    await asyncio.to_thread(create_demo_order, self.api, self.source, ws, size)
                self._work_at = loop.time()
        await asyncio.sleep(0.2)

    # -- recording ------------------------------------------------------------------------

    async def _station(self, station: Station) -> None:
        robot, account = station.robot, station.account
        collector = Collector(self.http, self.target.api_url, account, robot.device_id)
        rng = random.Random(self.options.seed * 1000 + account.index)
        interval = self.options.interval_s
        loop = asyncio.get_running_loop()
        if interval:
            await asyncio.sleep(rng.uniform(0, interval / 2))  # stations out of step
        failures = 0
        while self.budget.take():
            started = loop.time()
            try:
                await self._record(collector, robot, self.planner.next())
                failures = 0
            except NoWork:
                self.budget.give_back()
                await self._more_work()
                continue
            except RETRYABLE as exc:
                self.budget.give_back()
                failures += 1
                self.events.problem(f"{robot.device_id}: {exc}")
                if failures >= 5:
                    self.report.errors.append(f"{robot.device_id} gave up: {exc}")
                    return
                await asyncio.sleep(min(30.0, 2.0**failures))
                continue
            if interval:
                pause = interval * rng.uniform(0.8, 1.2) - (loop.time() - started)
                await asyncio.sleep(max(0.0, pause))

    async def _record(self, collector: Collector, robot: AxonRobot, plan: Plan) -> None:
        task_id = str((await collector.next_task())["id"])
        assert robot.recorder is not None and robot.transfer is not None
        # The recorder follows this recording's plan (its content and its faults).
        robot.recorder.spec = plan.spec
        robot.faults.lost_callbacks = set(plan.lost_callbacks)
        robot.faults.truncate_recording = plan.truncate
        finished = False
        try:
            await collector.act("config", task_id)
            await collector.act("begin", task_id)
            await asyncio.sleep(plan.hold_s)
            await collector.act("finish", task_id)
            finished = True
        finally:
            if not finished:
                await collector.abandon(task_id)
        rec = Recording(task_id, robot.device_id, plan.kind, plan.expected)
        self.report.recordings.append(rec)
        self.events.recorded(rec)
        waiter = asyncio.ensure_future(self._await_ack(robot, rec))
        self._waiters.add(waiter)
        waiter.add_done_callback(self._waiters.discard)

    async def _await_ack(self, robot: AxonRobot, rec: Recording) -> None:
        assert robot.transfer is not None
        try:
            await robot.transfer.wait_acked(rec.task_id, self.options.ack_timeout_s)
            rec.acked = True
        except TimeoutError:
            rec.error = f"no upload_ack within {self.options.ack_timeout_s:.0f}s"
        upload = robot.transfer.uploads.get(rec.task_id)
        done = ("waiting_ack", "completed")
        rec.uploaded = rec.acked or (upload is not None and upload.status in done)
        if rec.acked:
            self.undecided.append(rec)
            self.events.acked(rec)
        else:
            self.events.problem(f"{rec.task_id}: {rec.error}")

    # -- QA decisions ---------------------------------------------------------------------

    async def _track_decisions(self) -> None:
        while True:
            await asyncio.sleep(2.0)
            for rec in list(self.undecided):
                try:
                    await self._check(rec)
                except RETRYABLE as exc:
                    self.events.problem(f"decision of {rec.task_id}: {exc}")

    async def _admin_get(self, path: str) -> Any:
        return await asyncio.to_thread(self.api.call, "GET", path)

    async def _check(self, rec: Recording) -> None:
        if rec.episode_id is None:
            rec.episode_id = (await self._admin_get(f"/api/v1/tasks/{rec.task_id}"))["episode_id"]
            if rec.episode_id is None:
                return
        status = (await self._admin_get(f"/api/v1/episodes/{rec.episode_id}"))["status"]
        if status == "pending_qa":
            return
        rec.decision = "needs_inspection" if status in FLAGGED else str(status)
        self.undecided.remove(rec)
        self.events.decided(rec)

    async def _await_decisions(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.decision_timeout_s
        while self.undecided and loop.time() < deadline:
            await asyncio.sleep(0.5)

    async def _shutdown(self) -> None:
        for waiter in list(self._waiters):
            waiter.cancel()
        await asyncio.gather(*(s.robot.stop() for s in self.stations), return_exceptions=True)
        await self.http.aclose()
        self.api.close()
