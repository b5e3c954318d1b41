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
import itertools
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api_seed import seed  # noqa: E402
from bench.common import fresh_mysql_database, server, summary_ms  # noqa: E402
from keystone_api.accounts.tokens import TokenClaims, mint  # noqa: E402
from keystone_api.storage.seaweed import free_port  # noqa: E402

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


def open_loop(base: str, streams, rate: float, seconds: float) -> tuple[list[float], int, int]:
    """Each robot is a thread sending its next request at its scheduled time (open loop:
    latency counts from the schedule, so server queueing cannot hide). Threads with one
    keep-alive connection each: httpx's asyncio client tops out near 100 req/s here, far
    below what it has to measure."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    robots = len(streams)
    period = robots / rate  # each robot sends every `period` seconds
    t0 = time.perf_counter() + 1.0

    def robot(i: int, actions) -> None:  # type: ignore[no-untyped-def]
        nonlocal errors
        with httpx.Client(base_url=base, timeout=30) as client:
            for k in itertools.count():
                scheduled = t0 + i * (1 / rate) + k * period
                if scheduled - t0 > seconds:
                    return
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                path, token, body = next(actions)
                r = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
                with lock:
                    latencies.append(time.perf_counter() - scheduled)
                    errors += r.status_code >= 300

    threads = [threading.Thread(target=robot, args=(i, s)) for i, s in enumerate(streams)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, len(latencies)


def closed_loop(base: str, make_request, concurrency: int, seconds: float) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    done = errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal done, errors
        with httpx.Client(base_url=base, timeout=30) as client:
            while time.perf_counter() < deadline:
                with lock:
                    path, token, body = make_request()
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                r = client.post(path, json=body, headers=headers)
                with lock:
                    done += 1
                    errors += r.status_code >= 300

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done, errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--robots", type=int, default=200)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--saturate-seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers for both servers")
    args = parser.parse_args()

    import os

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
        from sqlalchemy.orm import Session

        engine = make_engine(url)
        with Session(engine) as session, session.begin():
            seeded = seed(session, args.robots, per_robot + sat_tasks)
        engine.dispose()
        streams = [
            robot_actions(
                settings, rid, dev, seeded.factory_id, seeded.tasks_by_robot[rid][:per_robot]
            )
            for rid, dev in seeded.robots
        ]
        env = {"KEYSTONE_DATABASE_URL": url, "KEYSTONE_DATABASE_POOL_SIZE": "40"}
        logs = Path("bench/out")
        port, bare_port = free_port(), free_port()
        keystone = [
            sys.executable,
            "-m",
            "keystone_api.cli.main",
            "api",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--no-preflight",
        ]
        print(
            f"robots={args.robots} offered={args.rate:.0f} req/s for {args.seconds:.0f}s, "
            f"uvicorn workers={args.workers}, MariaDB"
        )
        with server(keystone, env, f"http://127.0.0.1:{port}/healthz", logs / "cb-api.log") as proc:
            base = f"http://127.0.0.1:{port}"
            cpu0 = sum(
                p.cpu_times().user + p.cpu_times().system
                for p in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children()]
            )
            t = time.perf_counter()
            lat, errors, n = open_loop(base, streams, args.rate, args.seconds)
            wall = time.perf_counter() - t
            cpu1 = sum(
                p.cpu_times().user + p.cpu_times().system
                for p in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children()]
            )
            print(
                f"[offered] {n} requests in {wall:.1f}s = {n / wall:.0f} req/s achieved, "
                f"{errors} errors, server CPU {(cpu1 - cpu0) / wall:.2f} cores"
            )
            print(f"[offered] latency {summary_ms(lat)}")

            sat_streams = itertools.cycle(
                [
                    robot_actions(
                        settings,
                        rid,
                        dev,
                        seeded.factory_id,
                        seeded.tasks_by_robot[rid][per_robot:],
                    )
                    for rid, dev in seeded.robots
                ]
            )

            def next_callback():
                while True:
                    stream = next(sat_streams)
                    for item in stream:
                        return item

            done, errs = closed_loop(base, next_callback, args.concurrency, args.saturate_seconds)
            keystone_rps = done / args.saturate_seconds
            print(f"[saturation] keystone callbacks: {keystone_rps:.0f} req/s ({errs} errors)")
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
        with server(bare, env, f"http://127.0.0.1:{bare_port}/healthz", logs / "cb-bare.log"):
            ids = itertools.cycle([t for ts in seeded.tasks_by_robot.values() for t in ts])
            done, errs = closed_loop(
                f"http://127.0.0.1:{bare_port}",
                lambda: (f"/bare/{next(ids)}", None, None),
                args.concurrency,
                args.saturate_seconds,
            )
            bare_rps = done / args.saturate_seconds
            print(f"[saturation] bare SELECT endpoint: {bare_rps:.0f} req/s ({errs} errors)")
        print(f"[saturation] keystone / bare = {keystone_rps / bare_rps:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
