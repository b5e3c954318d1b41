"""Callback load: 200 simulated robots calling start/finish and heartbeats against the app on
MariaDB (uvicorn as deployed), beside a bare FastAPI endpoint doing one indexed SELECT on the
same database, in the same run.

    .venv/bin/python bench/api_callbacks_bench.py [--robots 200] [--rate 500] [--seconds 20]

Phase 1 offers a fixed rate (open loop: each request has a scheduled send time and its
latency counts from then, so a slow server cannot hide queueing). Phase 2 saturates both
servers with closed-loop clients and compares their throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api_seed import seed  # noqa: E402
from bench.common import fresh_mysql_database, server, summary_ms  # noqa: E402
from bench.rawhttp import Connection, encode  # noqa: E402
from keystone_api.accounts.tokens import TokenClaims, mint  # noqa: E402
from keystone_dev.seaweed import free_port  # noqa: E402

START, FINISH = "start", "finish"


def robot_actions(settings, robot_id: str, device_id: str, factory_id: str, tasks: list[str]):
    """Each robot's requests in order: start, finish, heartbeat per task."""
    device = mint(
        settings,
        TokenClaims("device", robot_id, "robot", factory_id, device_id=device_id, token_version=1),
    )
    for task_id in tasks:
        token = mint(
            settings,
            TokenClaims("task", task_id, "robot", factory_id, device_id=device_id, task_id=task_id),
        )
        base = {
            "task_id": task_id,
            "device_id": device_id,
            "started_at": "2026-11-27T08:00:00Z",
            "topics": ["/joint_states"],
        }
        yield ("/api/v1/callbacks/start", token, {**base, "status": "recording"})
        yield (
            "/api/v1/callbacks/finish",
            token,
            {
                **base,
                "status": "finished",
                "finished_at": "2026-11-27T08:00:30Z",
                "duration_sec": 30.0,
                "message_count": 1000,
                "file_size_bytes": 123456,
                "output_path": "/x.mcap",
                "sidecar_path": "/x.json",
                "sidecar_enabled": True,
                "sidecar_generated": True,
                "metadata": {},
                "error": None,
            },
        )
        yield (f"/api/v1/robots/{robot_id}/heartbeat", device, None)


async def open_loop(
    host: str, port: int, streams: list[Any], rate: float, seconds: float
) -> tuple[list[tuple[float, float]], int, float]:
    """Each robot sends its next request at its scheduled time on its own keep-alive
    connection (open loop: latency counts from the schedule, so queueing cannot hide).
    Returns (scheduled offset, latency) pairs, the errors and the seconds sending took."""
    latencies: list[tuple[float, float]] = []
    errors = 0
    robots = len(streams)
    period = robots / rate  # each robot sends every `period` seconds
    t0 = time.perf_counter() + 1.0

    async def robot(i: int, actions: Any) -> None:
        nonlocal errors
        conn = Connection(host, port)
        try:
            for k in itertools.count():
                scheduled = t0 + i * (1 / rate) + k * period
                if scheduled - t0 > seconds:
                    return
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                status = await conn.request(next(actions))
                latencies.append((scheduled - t0, time.perf_counter() - scheduled))
                errors += status >= 300
        finally:
            conn.close()

    await asyncio.gather(*(robot(i, s) for i, s in enumerate(streams)))
    # The rate over the schedule (from the first send to the last answer), not the lead-in.
    return latencies, errors, time.perf_counter() - t0


async def closed_loop(
    host: str, port: int, next_request: Any, concurrency: int, seconds: float
) -> tuple[int, int]:
    done = errors = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done, errors
        conn = Connection(host, port)
        try:
            while time.perf_counter() < deadline:
                status = await conn.request(next_request())
                done += 1
                errors += status >= 300
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, errors


def _encoded(settings: Any, seeded: Any, host: str, tasks: slice) -> list[list[bytes]]:
    """Every robot's requests, minted and encoded before the clock starts."""
    out = []
    for rid, dev in seeded.robots:
        actions = robot_actions(
            settings, rid, dev, seeded.factory_id, seeded.tasks_by_robot[rid][tasks]
        )
        out.append(
            [
                encode("POST", path, host, body, {"Authorization": f"Bearer {token}"})
                for path, token, body in actions
            ]
        )
    return out


def _worst_second(lat: list[tuple[float, float]], warmup: float) -> str:
    """The steady-state second whose slowest request was slowest: tells a stall (one bad
    second carrying the p99) from a tail spread over the whole run."""
    by_second: dict[int, list[float]] = {}
    for at, d in lat:
        if at >= warmup:
            by_second.setdefault(int(at), []).append(d)
    second, ds = max(by_second.items(), key=lambda kv: max(kv[1]))
    slow = sum(d > 0.1 for d in ds)
    return f"t={second}s: max {max(ds) * 1000:.0f} ms, {slow} of {len(ds)} requests over 100 ms"


def _server_cpu(pid: int) -> float:
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return sum(p.cpu_times().user + p.cpu_times().system for p in procs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--robots", type=int, default=200)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--saturate-seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=3, help="seconds reported apart")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--slices", type=int, default=4, help="saturation turns per server")
    parser.add_argument(
        "--latencies", type=Path, help="write each offered request's (offset s, latency ms) CSV"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn workers for both servers (the robot gateways need 1)",
    )
    args = parser.parse_args()

    import os

    from sqlalchemy.orm import Session

    from keystone_api.db import migrate
    from keystone_api.db.engine import make_engine
    from keystone_api.settings import get_settings

    with fresh_mysql_database("ks_bench_cb") as url:
        os.environ["KEYSTONE_DATABASE_URL"] = url
        get_settings.cache_clear()
        settings = get_settings()
        migrate.upgrade(url)
        per_robot = int(args.rate * (args.seconds + 1) / args.robots / 3) + 2
        sat_tasks = int(args.saturate_seconds * 2000 / args.robots / 2) + 2
        engine = make_engine(url)
        with Session(engine) as session, session.begin():
            seeded = seed(session, args.robots, per_robot + sat_tasks)
        engine.dispose()
        port, bare_port = free_port(), free_port()
        host = f"127.0.0.1:{port}"
        offered = _encoded(settings, seeded, host, slice(0, per_robot))
        saturate = [
            r for robot in _encoded(settings, seeded, host, slice(per_robot, None)) for r in robot
        ]
        env = {"KEYSTONE_DATABASE_URL": url, "KEYSTONE_DATABASE_POOL_SIZE": "40"}
        logs = Path("bench/out")
        keystone = [
            sys.executable,
            "-m",
            "keystone_dev.cli.main",
            "api",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--no-preflight",
        ]
        print(
            f"robots={args.robots} offered={args.rate:.0f} req/s for {args.seconds:.0f}s "
            f"(start, finish, heartbeat per recording), uvicorn workers={args.workers}, "
            f"MariaDB, client: raw HTTP/1.1 keep-alive on asyncio"
        )
        bare = [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bare_app:app",
            "--port",
            str(bare_port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ]
        with ExitStack() as stack:
            proc = stack.enter_context(
                server(keystone, env, f"http://{host}/healthz", logs / "cb-api.log")
            )
            stack.enter_context(
                server(bare, env, f"http://127.0.0.1:{bare_port}/healthz", logs / "cb-bare.log")
            )
            cpu0, machine0, t = _server_cpu(proc.pid), psutil.cpu_times(), time.perf_counter()
            lat, errors, span = asyncio.run(
                open_loop("127.0.0.1", port, [iter(r) for r in offered], args.rate, args.seconds)
            )
            wall = time.perf_counter() - t
            cpu = (_server_cpu(proc.pid) - cpu0) / wall
            print(
                f"[offered] {len(lat)} requests in {span:.1f}s = {len(lat) / span:.0f} req/s "
                f"achieved, {errors} errors, server CPU {cpu:.2f} cores; "
                f"{_machine(machine0, psutil.cpu_times())}"
            )
            # The first seconds open 200 connections, fill the database pool and warm the
            # statement caches: reported apart, as a restart's cost, not the steady state.
            steady = [d for at, d in lat if at >= args.warmup]
            print(f"[offered] steady latency {summary_ms(steady)}  (target p99 < 100 ms)")
            warm = [d for at, d in lat if at < args.warmup]
            print(f"[offered] first {args.warmup:.0f}s (cold start) {summary_ms(warm)}")
            print(f"[offered] slowest second {_worst_second(lat, args.warmup)}")
            if args.latencies:
                args.latencies.write_text(
                    "".join(f"{at:.4f},{d * 1000:.2f}\n" for at, d in sorted(lat))
                )
            pending = iter(saturate)
            ids = itertools.cycle([t for ts in seeded.tasks_by_robot.values() for t in ts])
            bare_host = f"127.0.0.1:{bare_port}"
            loads = {
                "keystone": (port, lambda: next(pending)),
                "bare": (bare_port, lambda: encode("POST", f"/bare/{next(ids)}", bare_host)),
            }
            rps, machine = _saturate(loads, args.concurrency, args.saturate_seconds, args.slices)
        print(f"[saturation] keystone callbacks: {rps['keystone']:.0f} req/s")
        print(f"[saturation] bare SELECT endpoint: {rps['bare']:.0f} req/s")
        print(f"[saturation] {machine}")
        ratio = rps["keystone"] / rps["bare"]
        print(f"[saturation] keystone / bare = {ratio:.2f} (target >= 0.5)")


def _saturate(
    loads: dict[str, tuple[int, Any]], concurrency: int, seconds: float, slices: int
) -> tuple[dict[str, float], str]:
    """Each server saturated in turn, in short alternating slices (the first one alternating
    too): a burst of the machine's neighbours (CPU steal) then costs both sides alike
    instead of the one that happened to run then. Returns req/s by server."""
    done = dict.fromkeys(loads, 0)
    machine0 = psutil.cpu_times()
    for k in range(slices):
        for name in list(loads)[:: 1 if k % 2 == 0 else -1]:
            port, next_request = loads[name]
            n, errors = asyncio.run(
                closed_loop("127.0.0.1", port, next_request, concurrency, seconds / slices)
            )
            if errors:
                raise SystemExit(f"{name}: {errors} errors under saturation")
            done[name] += n
    return {name: n / seconds for name, n in done.items()}, _machine(machine0, psutil.cpu_times())


def _machine(before: Any, after: Any) -> str:
    """The whole machine's use over a phase: a run with CPU steal (the hypervisor giving
    this machine's cores to its neighbours) measured the neighbours as much as the code."""
    total = sum(after) - sum(before)
    steal = after.steal - before.steal
    busy = total - (after.idle - before.idle) - (after.iowait - before.iowait) - steal
    return f"machine busy {busy / total:.0%}, CPU steal {steal / total:.1%}"


if __name__ == "__main__":
    main()
