"""Unauthenticated load at the API's doors, with each guard off and on in the same run.

    .venv/bin/python bench/doors_bench.py [--flood 64] [--half-open 500] [--scrapes 50]

A production-mode `keystone api` (MariaDB, no dev flags) is started per side; "off" loosens
the guard's setting to what the API did before issue 15, "on" is the default:
- login flood: N bad logins at once (per-address and per-user limits raised so every one
  reaches the password check): the process's peak memory growth and /auth/me meanwhile
  (off: KEYSTONE_LOGIN_CONCURRENCY=N, every Argon2 check at once);
- half-open requests: N sockets send part of a request line and headers and then
  nothing; how many the server still holds 15 s later, and /healthz meanwhile (off:
  KEYSTONE_HEADER_TIMEOUT_S=300, as good as none);
- scrapes: N /metrics scrapes by 5 clients back to back with the scrape token: wall time
  and the CPU the API and the database spent (off: KEYSTONE_METRICS_MIN_INTERVAL_S=0, a
  reading per scrape unless one is in flight).
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, fresh_mysql_database, server  # noqa: E402
from keystone_api.db import migrate  # noqa: E402
from keystone_api.settings import Settings  # noqa: E402
from keystone_dev.seaweed import free_port  # noqa: E402
from tests.support.tokens import recorded_token  # noqa: E402

MIB = 1024 * 1024
SECRET = secrets.token_urlsafe(48)
SCRAPE_TOKEN = secrets.token_urlsafe(32)
SCRAPERS = 5  # clients scraping back to back
LOOSE_LOGIN_LIMITS = {
    "KEYSTONE_LOGIN_FAILURES_PER_ADDRESS": "100000/minute",
    "KEYSTONE_LOGIN_FAILURES_PER_USER": "100000/minute",
}


@contextmanager
def api(db_url: str, name: str, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = {
        "KEYSTONE_DATABASE_URL": db_url,
        "KEYSTONE_JWT_SECRET": SECRET,
        "KEYSTONE_METRICS_TOKEN": SCRAPE_TOKEN,
        "KEYSTONE_PUBLIC_BASE_URL": base,
        "KEYSTONE_S3_ENDPOINT_URL": "http://127.0.0.1:9",  # not used by these doors
        **env,
    }
    cmd = [sys.executable, "-m", "keystone_dev.cli.main", "api", "--port", str(port)]
    log = REPO / "bench" / "out" / f"doors-{name}.log"
    with server([*cmd, "--no-preflight"], settings, base + "/healthz", log) as proc:
        yield base, proc.pid


def rss(pid: int) -> int:
    process, total = psutil.Process(pid), 0
    for each in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):  # a child that just ended
            total += each.memory_info().rss
    return total


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def login_flood(base: str, pid: int, admin: str, flood: int) -> str:
    bad = {"username": "nobody", "password": "wrong"}
    httpx.post(base + "/api/v1/auth/login", json=bad, timeout=60)  # Argon2 loaded
    before, peak, done = rss(pid), [0], threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss(pid))
            time.sleep(0.01)

    def guess(i: int) -> int:
        body = {"username": f"guess-{i}-{uuid.uuid4().hex[:6]}", "password": "wrong"}
        with httpx.Client(timeout=300) as own:
            return own.post(base + "/api/v1/auth/login", json=body).status_code

    threading.Thread(target=watch, daemon=True).start()
    me = {"Authorization": f"Bearer {admin}"}

    def whoami() -> object:
        return httpx.get(base + "/api/v1/auth/me", headers=me, timeout=120)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=flood) as pool:
        answers = pool.map(guess, range(flood))
        time.sleep(0.2)
        during = [timed(whoami) for _ in range(5)]
        codes = list(answers)
    wall = time.perf_counter() - started
    done.set()
    refused = sum(code == 429 for code in codes)
    return (
        f"peak RSS +{(peak[0] - before) / MIB:6.0f} MiB  /auth/me max {max(during) * 1000:6.0f} ms"
        f"  flood {wall:5.1f} s ({refused} refused at once)"
    )


def half_open(base: str, count: int) -> str:
    port = int(base.rsplit(":", 1)[1])
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: edge\r\nX-Slow: ")
        sockets.append(sock)
    health = [timed(lambda: httpx.get(base + "/healthz", timeout=120)) for _ in range(5)]
    time.sleep(15)
    held = 0
    for sock in sockets:
        sock.setblocking(False)
        try:
            held += sock.recv(1) != b""  # b"": the server closed it
        except BlockingIOError:
            held += 1  # still open, nothing sent
        except OSError:
            pass
        sock.close()
    return f"held after 15 s {held:4d} of {count}  /healthz max {max(health) * 1000:6.0f} ms"


def cpu_s(*pids: int) -> float:
    return sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in pids)


def database_pid() -> int:
    names = {"mariadbd", "mysqld"}
    return next(p.pid for p in psutil.process_iter(["name"]) if p.info["name"] in names)


def scrapes(base: str, pid: int, count: int) -> str:
    """Wall time, and the CPU the API process and the database spent on the scrapes (what
    each reading costs, and how many readings there were)."""
    headers = {"Authorization": f"Bearer {SCRAPE_TOKEN}"}

    def scrape(_: int) -> float:
        with httpx.Client(timeout=120) as own:
            started = time.perf_counter()
            assert own.get(base + "/metrics", headers=headers).status_code == 200
            return time.perf_counter() - started

    httpx.get(base + "/metrics", headers=headers)  # connections and caches warm
    time.sleep(6)  # past the interval: the scrapes below need a fresh reading
    database = database_pid()
    cpu_before, started = (cpu_s(pid), cpu_s(database)), time.perf_counter()
    with ThreadPoolExecutor(max_workers=SCRAPERS) as pool:
        each = list(pool.map(scrape, range(count)))
    wall = time.perf_counter() - started
    api_cpu, db_cpu = cpu_s(pid) - cpu_before[0], cpu_s(database) - cpu_before[1]
    return (
        f"{count} by {SCRAPERS} clients in {wall:5.2f} s  slowest {max(each) * 1000:6.0f} ms  "
        f"CPU: API {api_cpu:5.2f} s, database {db_cpu:5.2f} s"
    )


def seed_factory(db_url: str) -> None:
    """200 robots with 30 tasks each: what /metrics reads in a factory."""
    from sqlalchemy.orm import Session

    from bench.api_seed import seed
    from keystone_api.db.engine import make_engine

    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        seed(session, robots=200, tasks_per_robot=30)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=64)
    parser.add_argument("--half-open", type=int, default=500)
    parser.add_argument("--scrapes", type=int, default=200)
    args = parser.parse_args()
    with fresh_mysql_database("ks_bench_doors") as db_url:
        migrate.upgrade(db_url)
        seed_factory(db_url)
        admin = recorded_token(
            Settings(jwt_secret=SECRET),  # type: ignore[arg-type]
            "admin",
            database_url=db_url,
            label="doors bench",
        )
        print(f"doors benchmark ({psutil.cpu_count()} CPUs), guard off vs on, same run")
        flood = str(args.flood)
        sides = {
            "login flood": (
                {**LOOSE_LOGIN_LIMITS, "KEYSTONE_LOGIN_CONCURRENCY": flood,
                 "KEYSTONE_LOGIN_MAX_WAITING": flood},
                {**LOOSE_LOGIN_LIMITS, "KEYSTONE_LOGIN_MAX_WAITING": flood},
                lambda base, pid: login_flood(base, pid, admin, args.flood),
            ),
            "half-open requests": (
                {"KEYSTONE_HEADER_TIMEOUT_S": "300"},
                {},
                lambda base, pid: half_open(base, args.half_open),
            ),
            "metrics scrapes": (
                {"KEYSTONE_METRICS_MIN_INTERVAL_S": "0"},
                {},
                lambda base, pid: scrapes(base, pid, args.scrapes),
            ),
        }  # fmt: skip
        for name, (off, on, measure) in sides.items():
            for side, env in (("off", off), ("on", on)):
                with api(db_url, f"{name.split()[0]}-{side}", env) as (base, pid):
                    print(f"  {name:<20} guard {side:<3}  {measure(base, pid)}")


if __name__ == "__main__":
    main()
