"""Robot gateways under a factory's load: N emulated Axon robots (recorder + transfer sockets
each, 2N sockets) against `keystone api` on MariaDB and SeaweedFS, each recording a short
episode every period (config, begin, finish over the REST -> WebSocket RPC path, callbacks,
upload to the object store, verified upload_ack).

    .venv/bin/python bench/robots_bench.py [--robots 200] [--period 120] [--cycles 2]
                                            [--record-s 5]

Prints: sockets held, server CPU and memory (psutil on the API process), RPC round trip
(the collector's POST /api/v1/recorder/{device}/{action}, through the robot and back) and
upload_complete -> upload_ack, as p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, fresh_mysql_database, percentile, server  # noqa: E402
from keystone_api.db import migrate  # noqa: E402
from keystone_api.settings import Settings  # noqa: E402
from keystone_dev.seaweed import SeaweedServer, free_port  # noqa: E402
from keystone_sim.axon import AxonRobot, Backoff  # noqa: E402
from tests.support.tokens import recorded_token  # noqa: E402

SECRET = "bench-secret-" + "x" * 40
TOPICS = [
    {"name": "/joint_states", "type": "sensor_msgs/msg/JointState", "hz": 50},
    {
        "name": "/camera_head/image_raw/compressed",
        "type": "sensor_msgs/msg/CompressedImage",
        "hz": 10,
    },
    {"name": "/gripper/state", "type": "sensor_msgs/msg/JointState", "hz": 10},
]


class Sampler(threading.Thread):
    """CPU (100% = one core) and RSS of a process, once a second."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.proc, self.cpu, self.rss, self.stop = psutil.Process(pid), [], [], False
        self.proc.cpu_percent(None)

    def run(self) -> None:
        while not self.stop:
            time.sleep(1.0)
            try:
                self.cpu.append(self.proc.cpu_percent(None))
                self.rss.append(self.proc.memory_info().rss / 2**20)
            except psutil.Error:
                return


async def seed(http: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = await http.post(path, json=body, headers=admin)
        assert resp.status_code in (200, 201), f"{path}: {resp.status_code} {resp.text}"
        return resp.json()

    org = await post("/api/v1/organizations", {"name": "Bench Org"})
    factory = await post("/api/v1/factories", {"organization_id": org["id"], "name": "Bench"})
    rtype = await post("/api/v1/robot-types", {"name": "BenchBot", "topics": TOPICS})
    await post(f"/api/v1/robot_types/{rtype['id']}/config_templates/defaults", {})
    scene = await post("/api/v1/scenes", {"factory_id": factory["id"], "name": "Kitchen"})
    skill = await post("/api/v1/skills", {"organization_id": org["id"], "name": "fold"})
    sub = await post(
        "/api/v1/subscenes",
        {
            "scene_id": scene["id"],
            "robot_type_id": rtype["id"],
            "name": "T",
            "skill_ids": [skill["id"]],
        },
    )
    sop = await post(
        "/api/v1/sops",
        {"skill_id": skill["id"], "subscene_id": sub["id"], "name": "v1", "steps": ["fold"]},
    )
    # Robots enroll as real ones do: the factory's enrollment secret in the URL they get.
    secret = await post("/api/v1/enrollment-secrets", {"factory_id": factory["id"]})
    return {
        "factory_id": factory["id"],
        "subscene_id": sub["id"],
        "sop_id": sop["id"],
        "enroll_url": secret["enroll_url"],
    }


async def gather_limited(n: int, coros: list[Any]) -> list[Any]:
    gate = asyncio.Semaphore(n)

    async def one(coro: Any) -> Any:
        async with gate:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))


async def station(
    http: httpx.AsyncClient, admin: dict[str, str], fid: str, robot: AxonRobot, i: int
) -> str:
    col = await http.post(
        "/api/v1/data-collectors",
        headers=admin,
        json={"factory_id": fid, "name": f"C{i}", "employee_code": f"C{i:04d}"},
    )
    robot_id = robot.registration.response["robot_id"]  # type: ignore[union-attr]
    ws = await http.post(
        "/api/v1/workstations",
        headers=admin,
        json={
            "factory_id": fid,
            "name": f"WS-{i:04d}",
            "robot_id": robot_id,
            "data_collector_id": col.json()["id"],
        },
    )
    assert ws.status_code == 201, ws.text
    return str(ws.json()["id"])


async def episode_loop(
    http: httpx.AsyncClient,
    admin: dict[str, str],
    robot: AxonRobot,
    ws_id: str,
    start: float,
    args: argparse.Namespace,
    stats: dict[str, list[float]],
) -> None:
    for cycle in range(args.cycles):
        await asyncio.sleep(max(0.0, start + cycle * args.period - time.monotonic()))
        try:
            task = (
                await http.post(f"/api/v1/workstations/{ws_id}/tasks/next", headers=admin)
            ).json()
            for action, body in (
                ("config", {"task_id": task["id"]}),
                ("begin", None),
                ("finish", None),
            ):
                if action == "finish":
                    await asyncio.sleep(args.record_s)
                t0 = time.perf_counter()
                resp = await http.post(
                    f"/api/v1/recorder/{robot.device_id}/{action}", headers=admin, json=body
                )
                stats[f"rpc_{action}"].append(time.perf_counter() - t0)
                if resp.status_code != 200:
                    stats["errors"].append(1)
                    print(f"  {robot.device_id} {action}: {resp.status_code} {resp.text[:200]}")
                    break
            else:
                latency = await robot.transfer.wait_acked(task["id"], 120)  # type: ignore[union-attr]
                stats["ack"].append(latency)
        except Exception as exc:  # noqa: BLE001 - count it and go on with the next cycle
            stats["errors"].append(1)
            print(f"  {robot.device_id}: {type(exc).__name__} {exc}")


def line(name: str, values: list[float], unit: str = "ms", scale: float = 1000) -> str:
    v = [x * scale for x in values]
    if not v:
        return f"  {name:<22} (none)"
    return (
        f"  {name:<22} n={len(v):<5} p50 {percentile(v, 50):8.1f} {unit}  "
        f"p99 {percentile(v, 99):8.1f} {unit}  max {max(v):8.1f} {unit}"
    )


async def run(
    args: argparse.Namespace, base: str, api_pid: int, s3: SeaweedServer, db_url: str
) -> None:
    settings = Settings(jwt_secret=SECRET)  # type: ignore[arg-type]
    tool = recorded_token(settings, "admin", database_url=db_url, label="robots bench")
    admin = {"Authorization": "Bearer " + tool}
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        ids = await seed(http, admin)
        work = Path(tempfile.mkdtemp(prefix="robots-bench-"))
        robots = [
            AxonRobot(
                ids["enroll_url"],
                "Bench",
                "BenchBot",
                work / f"r{i:04d}",
                http=http,
                backoff=Backoff(0.5, 5.0),
                status_interval_s=30.0,
            )
            for i in range(args.robots)
        ]
        t0 = time.monotonic()
        # One at a time: each registration makes the robot's store identity, and SeaweedFS
        # applies identity changes one at a time, each slower with every identity it holds
        # (its whole configuration is rebuilt: bench/store_keys_bench.py); registrations
        # queued behind each other outwait axon-config's 10 s from ~150 robots on.
        await gather_limited(1, [r.register() for r in robots])
        print(f"{args.robots} robots registered in {time.monotonic() - t0:.1f} s")
        for r in robots:
            await r.start()
        await asyncio.gather(*(r.wait_connected(60) for r in robots))
        print(f"{args.robots} robots registered and connected in {time.monotonic() - t0:.1f} s")
        stations = await gather_limited(
            20, [station(http, admin, ids["factory_id"], r, i) for i, r in enumerate(robots)]
        )
        order = await http.post(
            "/api/v1/orders",
            headers=admin,
            json={
                "factory_id": ids["factory_id"],
                "subscene_id": ids["subscene_id"],
                "sop_id": ids["sop_id"],
                "target_episodes": args.robots * args.cycles,
                "batch_size": args.cycles,
            },
        )
        assert order.status_code == 201, order.text
        sampler = Sampler(api_pid)
        me = Sampler(os.getpid())
        sampler.start(), me.start()
        stats: dict[str, list[float]] = defaultdict(list)
        start = time.monotonic() + 1
        offsets = [start + args.period * i / args.robots for i in range(args.robots)]
        random.shuffle(offsets)
        loops = [
            asyncio.ensure_future(episode_loop(http, admin, r, ws, off, args, stats))
            for r, ws, off in zip(robots, stations, offsets, strict=True)
        ]
        await asyncio.sleep(args.period / 2)
        rows = (
            await http.get(
                "/api/v1/robots",
                headers=admin,
                params={"factory_id": ids["factory_id"], "limit": 500},
            )
        ).json()
        held = sum(r["recorder_connected"] + r["transfer_connected"] for r in rows["items"])
        conns = len(
            [
                c
                for c in psutil.Process(api_pid).net_connections("tcp")
                if c.status == psutil.CONN_ESTABLISHED
            ]
        )
        await asyncio.gather(*loops)
        elapsed = time.monotonic() - start
        sampler.stop = me.stop = True
        await asyncio.gather(*(r.stop() for r in robots))
    rpc = stats["rpc_config"] + stats["rpc_begin"] + stats["rpc_finish"]
    print(
        f"\n== {args.robots} robots, one episode each every {args.period:g} s "
        f"({args.record_s:g} s recorded), {args.cycles} cycles, {elapsed:.0f} s =="
    )
    print(
        f"  sockets held mid-run: {held} of {2 * args.robots} "
        f"(API process: {conns} established TCP connections)"
    )
    print(
        f"  episodes ACKed: {len(stats['ack'])} of {args.robots * args.cycles}, "
        f"errors: {len(stats['errors'])}"
    )
    print(
        f"  server CPU: mean {statistics.fmean(sampler.cpu):.0f}%  p95 "
        f"{percentile(sampler.cpu, 95):.0f}%  max {max(sampler.cpu):.0f}% (100% = one core); "
        f"RSS max {max(sampler.rss):.0f} MiB"
    )
    print(f"  emulator process CPU: mean {statistics.fmean(me.cpu):.0f}%  max {max(me.cpu):.0f}%")
    print(line("RPC round trip (all)", rpc))
    for action in ("config", "begin", "finish"):
        print(line(f"  {action}", stats[f"rpc_{action}"]))
    print(line("upload_complete->ack", stats["ack"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--robots", type=int, default=200)
    parser.add_argument("--period", type=float, default=120.0)
    parser.add_argument("--cycles", type=int, default=2)
    parser.add_argument("--record-s", type=float, default=5.0)
    args = parser.parse_args()
    out = REPO / "bench" / "out"
    (out / "robots-api.log").unlink(missing_ok=True)
    with fresh_mysql_database("ks_bench_robots") as db_url, tempfile.TemporaryDirectory() as tmp:
        migrate.upgrade(db_url)
        s3 = SeaweedServer(Path(tmp) / "s3").start()
        try:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            env = {
                "KEYSTONE_DATABASE_URL": db_url,
                "KEYSTONE_S3_ENDPOINT_URL": s3.endpoint_url,
                "KEYSTONE_S3_ACCESS_KEY": s3.access_key,
                "KEYSTONE_S3_SECRET_KEY": s3.secret_key,
                "KEYSTONE_PUBLIC_BASE_URL": base,
                "KEYSTONE_JWT_SECRET": SECRET,
            }
            cmd = [sys.executable, "-m", "keystone_dev.cli.main", "api", "--port", str(port)]
            with server(cmd, env, base + "/healthz", out / "robots-api.log") as proc:
                asyncio.run(run(args, base, proc.pid, s3, db_url))
        finally:
            s3.stop()


if __name__ == "__main__":
    main()
