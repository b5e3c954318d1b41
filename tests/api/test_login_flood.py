"""A flood of bad logins against a real `keystone api` process: 64 at once took it from 144
to 1,110 MiB (Argon2 takes 64 MiB per check) and `/auth/me` to 8 s. Now at most a few
checks run at once, the rest wait on the event loop holding no thread and no Argon2 memory:
the process's peak memory stays bounded, and other requests are answered meanwhile."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil
import pytest

from tests.api.world import auth, tool_token
from tests.support.processes import keystone_api_process

MIB = 1024 * 1024
FLOOD = 64
# Two Argon2 checks at once (64 MiB each) and their working memory, with room to spare;
# unbounded, 64 at once took ~970 MiB more.
BOUND = 256 * MIB


def _rss(pid: int) -> int:
    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])


class Peak(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, _rss(self.pid))
            time.sleep(0.01)


def _server_pid(base: str) -> int:
    port = base.rsplit(":", 1)[1]
    mine = psutil.Process().children(recursive=True)
    return next(p.pid for p in mine if "api" in p.cmdline() and port in p.cmdline())


@pytest.mark.slow
def test_a_flood_of_bad_logins_keeps_memory_bounded_and_the_api_answering(s3_server) -> None:  # type: ignore[no-untyped-def]
    # The limiter would stop most of a flood from one address; raised here so that every one
    # of the 64 reaches the password check, and the bound on checks is what is measured.
    env = {
        "KEYSTONE_LOGIN_FAILURES_PER_ADDRESS": "10000/minute",
        "KEYSTONE_LOGIN_FAILURES_PER_USER": "10000/minute",
        "KEYSTONE_LOGIN_MAX_WAITING": str(FLOOD),
    }
    admin = auth(tool_token("admin"))
    with keystone_api_process(env) as base, httpx.Client(base_url=base, timeout=120) as client:
        pid = _server_pid(base)
        assert client.get("/api/v1/auth/me", headers=admin).status_code == 200
        bad = {"username": "nobody", "password": "wrong"}
        assert client.post("/api/v1/auth/login", json=bad).status_code == 401  # Argon2 loaded
        baseline = _rss(pid)
        peak = Peak(pid)
        peak.start()

        answered: list[int] = []

        def guess(i: int) -> int:
            body = {"username": f"guess-{i}-{uuid.uuid4().hex[:6]}", "password": "wrong"}
            with httpx.Client(base_url=base, timeout=120) as own:  # a connection each
                answered.append(own.post("/api/v1/auth/login", json=body).status_code)
            return answered[-1]

        with ThreadPoolExecutor(max_workers=FLOOD) as pool:
            answers = pool.map(guess, range(FLOOD))
            time.sleep(0.2)  # the flood is queued at the password checks now
            during = [client.get("/api/v1/auth/me", headers=admin).status_code for _ in range(5)]
            pending = FLOOD - len(answered)
            codes = list(answers)
        peak.done.set()
        peak.join()
    assert codes == [401] * FLOOD  # all checked (a queue of 64), none failed otherwise
    assert during == [200] * 5 and pending > 0  # answered while the flood was waiting
    grew = peak.peak - baseline
    assert grew < BOUND, f"grew {grew / MIB:.0f} MiB during the flood (bound {BOUND / MIB:.0f})"
