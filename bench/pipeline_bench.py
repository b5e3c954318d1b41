"""The QA pipeline as deployed: N small recordings dropped into the bucket in bursts while
`dagster-daemon` runs (MySQL-backed instance, SeaweedFS, MariaDB), nobody calling anything.

    .venv/bin/python bench/pipeline_bench.py [--episodes 600] [--rate-per-hour 6000] [--burst 20]

Reports episodes assessed per hour, upload-to-decision latency p50/p95, and Dagster's CPU
per episode: the CPU of every process of the daemon's tree (daemon, code server running the
sensors, run workers) minus the validator's own CPU (measured per episode in the run).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, fresh_mysql_database, percentile  # noqa: E402
from keystone_dev.seaweed import free_port  # noqa: E402
from tests.support import mysql  # noqa: E402


def _kind(cmdline: list[str]) -> str:
    line = " ".join(cmdline)
    # Runs: `dagster api execute_run`, or a multiprocessing child of the gRPC code server.
    if "execute_run" in line or "api execute" in line or "spawn_main" in line:
        return "run workers"
    if "api grpc" in line:
        return "code server (sensors, run launches)"
    if "code-server" in line:
        return "code server proxy"
    if "dagster-daemon" in line:
        return "daemon"
    return "other (compute-log tails, helpers)"


class TreeCpu:
    """CPU seconds of a process and all its descendants, sampled often enough that short
    run workers are counted (each pid's last reading is kept after it exits)."""

    def __init__(self, roots: list[int], interval: float = 0.1) -> None:
        self.roots, self.interval, self.last = roots, interval, {}
        self.kind: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            procs = []
            for root in self.roots:
                with contextlib.suppress(psutil.NoSuchProcess):
                    procs += [psutil.Process(root), *psutil.Process(root).children(True)]
            for p in procs:
                try:
                    t = p.cpu_times()
                    self.last[p.pid] = t.user + t.system
                    if p.pid not in self.kind:
                        self.kind[p.pid] = _kind(p.cmdline())
                except psutil.NoSuchProcess:
                    pass
            time.sleep(self.interval)

    def start(self) -> TreeCpu:
        self._thread.start()
        return self

    def snapshot(self) -> float:
        return sum(self.last.values())

    def by_kind(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for pid, cpu in self.last.items():
            kind = self.kind.get(pid, "other")
            out[kind] = out.get(kind, 0.0) + cpu
        return out

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.snapshot()


def seed(url: str, n: int, robots: int) -> tuple[str, list[tuple[str, str, str]]]:
    """A factory with `robots` workstations and n tasks; returns (factory id, tasks)."""
    from sqlalchemy.orm import Session

    from bench.api_seed import seed as seed_db
    from keystone_api.db.engine import make_engine
    from keystone_api.fleet.models import RobotType

    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        seeded = seed_db(session, robots, -(-n // robots))
        rtype = session.query(RobotType).one()
        rtype.qa_spec = {
            "required_topics": ["/joint_states", "/camera_head/image_raw/compressed"],
            "min_duration_s": 1,
            "max_gap_s": 0.5,
            "image_sample": 30,
        }
        tasks = [(t, dev, rid) for rid, dev in seeded.robots for t in seeded.tasks_by_robot[rid]]
    engine.dispose()
    return seeded.factory_id, tasks[:n]


def make_recordings(tmp: Path, tasks: list[tuple[str, str, str]]) -> dict[str, Path]:
    from keystone_sim.recording import RecordingSpec, write_recording

    out = {}
    for task_id, _, _ in tasks:
        spec = RecordingSpec(
            duration_s=3.0,
            width=160,
            height=120,
            camera_rate_hz=10.0,
            joint_rate_hz=100.0,
            frame_pool=4,
            chunk_size=256 * 1024,
            task_id=task_id,
        )
        out[task_id] = write_recording(tmp / f"{task_id}.mcap", spec).path
    return out


def mark_uploading(url: str, task_ids: list[str]) -> None:
    """What the finish callbacks would have done: the tasks wait for their upload."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from keystone_api.db.base import utcnow
    from keystone_api.db.engine import make_engine
    from keystone_api.orders.models import Task, TaskStatus

    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        now = utcnow()
        session.execute(
            update(Task)
            .where(Task.id.in_(task_ids))
            .values(status=TaskStatus.uploading, assigned_at=now, started_at=now, finished_at=now)
        )
    engine.dispose()


def main() -> None:  # noqa: PLR0915 - a linear script
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=600)
    parser.add_argument("--rate-per-hour", type=float, default=6000)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--robots", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument(
        "--code-server",
        choices=["standalone", "daemon"],
        default="standalone",
        help="standalone: `dagster code-server start` beside the daemon, as the README advises "
        "for production; daemon: the daemon spawns it (and re-imports it every 60 s)",
    )
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=60,
        help="measure the daemon's CPU with nothing to do first (its cost per second)",
    )
    args = parser.parse_args()

    from keystone_api.db import migrate
    from keystone_api.settings import Settings
    from keystone_api.storage.layout import axon_keys
    from keystone_api.storage.s3 import ensure_bucket, make_s3_client
    from keystone_dev.seaweed import SeaweedServer
    from keystone_sim.recording import sidecar_dict  # noqa: F401 - import cost outside timing

    tmp = Path(tempfile.mkdtemp(prefix="ks-pipeline-bench-"))
    procs: list[subprocess.Popen[bytes]] = []
    weed = SeaweedServer(tmp / "s3").start()
    try:
        with (
            fresh_mysql_database("ks_bench_pl") as url,
            fresh_mysql_database("ks_bench_dg") as dagster_url,
        ):
            migrate.upgrade(url)
            factory_id, tasks = seed(url, args.episodes, args.robots)
            print(f"writing {len(tasks)} recordings ...", flush=True)
            files = make_recordings(tmp, tasks)
            settings = Settings(database_url=url)
            bucket = settings.bucket_for(factory_id)
            s3 = make_s3_client(weed.endpoint_url, weed.access_key, weed.secret_key)
            ensure_bucket(s3, bucket)
            home = tmp / "dagster_home"
            home.mkdir()
            shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
            env = {
                **os.environ,
                "DAGSTER_HOME": str(home),
                "DAGSTER_MYSQL_URL": mysql.dagster_url(dagster_url),
                "KEYSTONE_DATABASE_URL": url,
                "KEYSTONE_S3_ENDPOINT_URL": weed.endpoint_url,
                "KEYSTONE_S3_ACCESS_KEY": weed.access_key,
                "KEYSTONE_S3_SECRET_KEY": weed.secret_key,
            }
            procs += start_dagster(tmp, home, env, args.code_server)
            cpu = TreeCpu([p.pid for p in procs]).start()
            time.sleep(5)  # let the daemon start its code server before the first burst
            idle = 0.0
            if args.idle_seconds > 0:
                time.sleep(10)  # the first sensor ticks import the code location
                c0 = cpu.snapshot()
                time.sleep(args.idle_seconds)
                idle = (cpu.snapshot() - c0) / args.idle_seconds
                print(f"idle daemon tree: {idle:.3f} cores (sensors ticking, nothing new)")
            busy_from = cpu.snapshot()
            kinds_from = cpu.by_kind()
            uploaded: dict[str, float] = {}
            interval = args.burst / (args.rate_per_hour / 3600)
            print(
                f"uploading in bursts of {args.burst} every {interval:.1f} s "
                f"({args.rate_per_hour:.0f}/h offered) ...",
                flush=True,
            )
            t0 = time.time()
            for i in range(0, len(tasks), args.burst):
                burst = tasks[i : i + args.burst]
                mark_uploading(url, [t for t, _, _ in burst])
                today = datetime.now(UTC).strftime("%Y-%m-%d")
                for task_id, device, _ in burst:
                    key = axon_keys(factory_id, device, today, task_id)
                    data = files[task_id].read_bytes()
                    sha = hashlib.sha256(data).hexdigest()
                    s3.put_object(
                        Bucket=bucket,
                        Key=key.mcap_key,
                        Body=data,
                        Metadata={"checksum-sha256": sha},
                    )
                    side = {
                        "version": "1.0",
                        "task": {"task_id": task_id, "scene": "", "factory": ""},
                        "recording": {"checksum_sha256": sha, "file_size_bytes": len(data)},
                    }
                    s3.put_object(Bucket=bucket, Key=key.sidecar_key, Body=json.dumps(side))
                    uploaded[task_id] = time.time()
                next_at = t0 + (i // args.burst + 1) * interval
                time.sleep(max(0.0, next_at - time.time()))
            decided = wait_for_decisions(url, set(uploaded), args.timeout)
            total_cpu = cpu.stop() - busy_from
            kinds = {k: v - kinds_from.get(k, 0.0) for k, v in cpu.by_kind().items()}
            runs = qa_runs(dagster_url)
            report(args, uploaded, decided, total_cpu, url)
            print(f"QA runs: {runs} ({len(decided) / max(runs, 1):.0f} episodes a run)")
            split = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(kinds.items()))
            print(f"CPU by process: {split}")
    finally:
        stop_dagster(procs)
        weed.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def start_dagster(
    tmp: Path, home: Path, env: dict[str, str], code_server: str
) -> list[subprocess.Popen[bytes]]:
    """The daemon, and the code location's gRPC server beside it when standalone."""
    bin_dir = Path(sys.executable).parent
    procs = []
    workspace = REPO / "workspace.yaml"
    if code_server == "standalone":
        port = free_port()
        workspace = tmp / "workspace.yaml"
        workspace.write_text(
            "load_from:\n  - grpc_server:\n      host: 127.0.0.1\n"
            f"      port: {port}\n      location_name: keystone\n"
        )
        cmd = [str(bin_dir / "dagster"), "code-server", "start", "-h", "127.0.0.1"]
        cmd += ["-p", str(port), "-m", "keystone_pipelines.definitions", "--log-level", "warning"]
        procs.append(_spawn(cmd, env, tmp / "code-server.log"))
        _wait_port(port)
    cmd = [str(bin_dir / "dagster-daemon"), "run", "-w", str(workspace)]
    procs.append(_spawn(cmd, env, tmp / "daemon.log"))
    return procs


def _spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _wait_port(port: int, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"code server did not listen on {port}")


def stop_dagster(procs: list[subprocess.Popen[bytes]]) -> None:
    # Every descendant, not only the process groups: the code server's gRPC child starts a
    # session of its own and would outlive it.
    tree: list[psutil.Process] = []
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            tree += [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(True)]
    for p in reversed(tree):
        with contextlib.suppress(psutil.NoSuchProcess):
            p.terminate()
    _, alive = psutil.wait_procs(tree, timeout=30)
    for p in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    for proc in procs:
        proc.wait(timeout=30)


def qa_runs(dagster_url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(dagster_url)
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT COUNT(*) FROM runs WHERE pipeline_name = 'episode_qa_job'")
        ).scalar_one()
    engine.dispose()
    return int(n)


def wait_for_decisions(url: str, task_ids: set[str], timeout: float) -> dict[str, float]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from keystone_api.db.engine import make_engine
    from keystone_api.episodes.models import Episode, EpisodeStatusChange

    engine = make_engine(url)
    deadline = time.time() + timeout
    decided: dict[str, float] = {}
    while time.time() < deadline and len(decided) < len(task_ids):
        time.sleep(1)
        with Session(engine) as session:
            rows = session.execute(
                select(Episode.task_id, EpisodeStatusChange.at)
                .join(EpisodeStatusChange, EpisodeStatusChange.episode_id == Episode.id)
                .where(EpisodeStatusChange.from_status == "pending_qa")
            ).all()
        decided = {t: at.timestamp() for t, at in rows if t in task_ids}
    engine.dispose()
    return decided


def report(args, uploaded, decided, total_cpu, url) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from keystone_api.db.engine import make_engine
    from keystone_api.episodes.models import Episode

    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.execute(select(Episode.status, Episode.qa_result)).all()
    engine.dispose()
    validator_cpu = sum((r or {}).get("validator_cpu_s", 0.0) for _, r in rows)
    statuses: dict[str, int] = {}
    for status, _ in rows:
        statuses[status.value] = statuses.get(status.value, 0) + 1
    lat = [decided[t] - uploaded[t] for t in decided]
    span = max(decided.values()) - min(uploaded.values()) if decided else float("nan")
    n = len(decided)
    print(f"\nepisodes decided: {n}/{len(uploaded)}  {statuses}")
    # First upload to last decision: counts the pipeline's latency once, which a run of a
    # few minutes cannot amortize; offer more than 6,000/h to see the capacity.
    print(
        f"assessed per hour: {n / span * 3600:,.0f}  (target >= 6,000; offered "
        f"{args.rate_per_hour:,.0f}/h; first upload to last decision {span:.0f} s)"
    )
    print(
        f"upload-to-decision: p50 {percentile(lat, 50):.1f} s  p95 {percentile(lat, 95):.1f} s"
        f"  max {max(lat):.1f} s  (target p95 < 90 s)"
    )
    overhead = (total_cpu - validator_cpu) / max(n, 1)
    print(
        f"CPU of the daemon's process tree: {total_cpu:.1f} s; validator's own: "
        f"{validator_cpu:.1f} s"
    )
    print(f"Dagster overhead per episode: {overhead:.3f} CPU-s  (target < 0.1)")


if __name__ == "__main__":
    main()
