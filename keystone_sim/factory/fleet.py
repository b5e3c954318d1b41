"""A simulated fleet against a real Keystone edge: N emulated Axon robots (keystone_sim.axon:
registration, templates, both WebSockets, callbacks, MCAP + sidecar uploads) and a
collector per workstation driving each through the API; recordings follow a plan (clean or
one defect), and the simulator follows each one to its upload_ack and its QA decision.

    report = await Fleet(target, FleetOptions(robots=4, episodes=12)).run()
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from keystone_sim.axon import AxonRobot
from keystone_sim.factory.collector import Collector, NoWork
from keystone_sim.factory.decisions import Decisions
from keystone_sim.factory.defects import Plan, fleet_spec
from keystone_sim.factory.events import FleetEvents
from keystone_sim.factory.provision import (
    AdminApi,
    ApiError,
    WorkSource,
    create_demo_order,
    schedule_demo_orders,
)
from keystone_sim.factory.records import Budget, FleetReport, Planner, Recording
from keystone_sim.factory.setup import Station, provision, until_online
from keystone_sim.factory.target import Target

RETRYABLE = (ApiError, httpx.HTTPError, TimeoutError)
# Episodes of a demo order the simulator opens when running until stopped, per station.
ORDER_PER_STATION = 100


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


class Fleet:
    def __init__(self, target: Target, options: FleetOptions, events: FleetEvents | None = None):
        self.target, self.options = target, options
        self.events = events or FleetEvents()
        self.report = FleetReport()
        self.budget = Budget(options.episodes)
        spec = fleet_spec(options.width, options.height)
        self.planner = Planner(spec, options.seconds, options.defect_rate, options.seed)
        self.stations: list[Station] = []
        self._waiters: set[asyncio.Task[None]] = set()
        self._work_lock = asyncio.Lock()
        self._work_at = -1e9

    async def _provision(self) -> WorkSource:
        opts = self.options
        self.stations, source = await provision(
            self.api, self.http, self.target, opts.fleet, opts.robots, opts.work_dir,
            self.planner.base, self.events,
        )  # fmt: skip
        self.report.robots = [s.robot.device_id for s in self.stations]
        return source

    async def provision(self) -> None:
        """Stations, robots registered and paired, work scheduled; nothing runs (how
        `keystone dev` seeds its fleet before the simulator starts)."""
        self.http = httpx.AsyncClient(timeout=30)
        self.api = AdminApi(self.target.api_url, self.target.admin_token)
        try:
            await self._provision()
        finally:
            await self.http.aclose()
            self.api.close()

    async def run(self) -> FleetReport:
        self.http = httpx.AsyncClient(timeout=30)
        self.api = AdminApi(self.target.api_url, self.target.admin_token)
        self.decisions = Decisions(self.api, self.events)
        try:
            self.source = await self._provision()
            for station in self.stations:
                await station.robot.start()
            for station in self.stations:
                await until_online(self.api, station.robot)
            tracker = asyncio.ensure_future(self.decisions.run())
            try:
                await asyncio.gather(*(self._station(s) for s in self.stations))
                await asyncio.gather(*list(self._waiters), return_exceptions=True)
                await self.decisions.wait(self.options.decision_timeout_s)
            finally:
                tracker.cancel()
        finally:
            await self._shutdown()
        return self.report

    async def _more_work(self) -> None:
        """A station ran dry: top up the demo orders, or open a new one."""
        loop = asyncio.get_running_loop()
        async with self._work_lock:
            if loop.time() - self._work_at > 3:  # else another station just did it
                ws = [s.account.workstation_id for s in self.stations]
                created = await asyncio.to_thread(schedule_demo_orders, self.api, self.source, ws)
                if not created:
                    left = self.budget.total - self.budget.taken
                    size = max(left, len(ws)) if self.budget.total else len(ws) * ORDER_PER_STATION
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
            self.decisions.follow(rec)
            self.events.acked(rec)
        else:
            self.events.problem(f"{rec.task_id}: {rec.error}")

    async def _shutdown(self) -> None:
        for waiter in list(self._waiters):
            waiter.cancel()
        await asyncio.gather(*(s.robot.stop() for s in self.stations), return_exceptions=True)
        await self.http.aclose()
        self.api.close()
