"""Putting a simulated fleet in place: a station (collector + workstation) per robot, each
robot registered as Axon robots do (or recognized from its device.json of a previous run)
and paired at its station, and the demo orders scheduled on the stations."""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx

from keystone_sim.axon import AxonRobot, Backoff, Faults
from keystone_sim.factory.events import FleetEvents
from keystone_sim.factory.provision import (
    AdminApi,
    ProvisionError,
    StationAccount,
    WorkSource,
    enrollment_url,
    ensure_station,
    find_work_source,
    pair_robot,
    schedule_demo_orders,
)
from keystone_sim.factory.target import Target
from keystone_sim.recording import RecordingSpec


@dataclass
class Station:
    robot: AxonRobot
    account: StationAccount


async def provision(
    api: AdminApi,
    http: httpx.AsyncClient,
    target: Target,
    fleet: str,
    robots: int,
    work_dir: Path,
    spec: RecordingSpec,
    events: FleetEvents,
) -> tuple[list[Station], WorkSource]:
    factory = await asyncio.to_thread(api.named, "/api/v1/factories", target.factory)
    if factory is None:
        raise ProvisionError(f"factory '{target.factory}' not found on {target.api_url}")
    _forget_other_edge(work_dir, target)
    enroll_url = await asyncio.to_thread(enrollment_url, api, factory["id"], fleet)
    stations = []
    for index in range(1, robots + 1):
        account = await asyncio.to_thread(
            ensure_station, api, factory["id"], fleet, index, target.collector_password
        )
        work = work_dir / f"robot-{index:02d}"
        robot = await _register(api, http, target, enroll_url, work, spec)
        assert robot.registration is not None
        robot_id = str(robot.registration.response["robot_id"])
        name = f"{fleet} robot {index:02d}"
        await asyncio.to_thread(pair_robot, api, account.workstation_id, robot_id, name)
        stations.append(Station(robot, account))
        events.robot_ready(robot.device_id, index)
    first = stations[0].robot.registration
    assert first is not None
    robot_type_id = str(first.response["robot_type_id"])
    source = await asyncio.to_thread(find_work_source, api, factory["id"], robot_type_id)
    workstations = [s.account.workstation_id for s in stations]
    await asyncio.to_thread(schedule_demo_orders, api, source, workstations)
    return stations, source


def _forget_other_edge(work_dir: Path, target: Target) -> None:
    """Robots remember their registration (device.json) across runs; a fleet directory
    used against another edge starts afresh."""
    marker = work_dir / "edge.json"
    edge = {"api": target.api_url, "factory": target.factory}
    if marker.exists() and json.loads(marker.read_text()) != edge:
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(edge))


async def _register(
    api: AdminApi,
    http: httpx.AsyncClient,
    target: Target,
    enroll_url: str,
    work: Path,
    spec: RecordingSpec,
) -> AxonRobot:
    device_file = work / "config" / "device.json"
    if device_file.exists():
        device_id = json.loads(device_file.read_text()).get("device_id")
        known = await asyncio.to_thread(api.items, "/api/v1/robots", device_id=device_id)
        if not known:  # the edge lost it (a wiped database): register again
            shutil.rmtree(work)
    robot = AxonRobot(
        enroll_url,
        target.factory,
        target.robot_type,
        work,
        faults=Faults(),
        backoff=Backoff(initial_s=0.5, max_s=10.0),
        status_interval_s=10.0,
        http=http,
        recording_spec=spec,
    )
    await robot.register()
    return robot


async def until_online(api: AdminApi, robot: AxonRobot, timeout: float = 30.0) -> None:
    """Both sockets up as the server sees them: a collector's first config then works."""
    await robot.wait_connected(timeout)
    path = f"/api/v1/recorder/{robot.device_id}/state"
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        state = await asyncio.to_thread(api.call, "GET", path)
        if state["connected"] and state["transfer_connected"] and state["state"]:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise ProvisionError(f"robot {robot.device_id} did not come online")
        await asyncio.sleep(0.2)
