"""A small supervisor for the processes `keystone dev` starts: start, watch, stop all.

Each child runs in a session of its own (so a terminal's Ctrl-C reaches `keystone dev`
only, which then stops them in order) and is stopped as a process group, so whatever it
started (Dagster's code server and run workers) goes with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx


@dataclass
class ManagedProcess:
    name: str
    cmd: Sequence[str]
    env: Mapping[str, str]
    log_path: Path
    health_url: str | None = None
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            list(self.cmd),
            env=dict(self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.cwd,
            start_new_session=True,
        )
        log.close()  # the child has its own descriptor

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def healthy(self) -> bool:
        if not self.health_url:
            return self.alive()
        try:
            return httpx.get(self.health_url, timeout=2).status_code < 500
        except httpx.HTTPError:
            return False

    def signal(self, sig: int) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)


def wait_healthy(processes: Sequence[ManagedProcess], timeout_s: float) -> None:
    """Until every process answers its health URL (they start in parallel)."""
    deadline = time.monotonic() + timeout_s
    waiting = list(processes)
    while waiting:
        for proc in list(waiting):
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited; see {proc.log_path}")
            if proc.healthy():
                waiting.remove(proc)
        if waiting and time.monotonic() > deadline:
            names = ", ".join(p.name for p in waiting)
            raise RuntimeError(f"not healthy after {timeout_s:.0f}s: {names}; see their logs")
        time.sleep(0.3)


def stop_all(processes: Sequence[ManagedProcess], timeout_s: float = 20) -> None:
    """SIGTERM to every group at once, SIGKILL to whatever is left after timeout_s."""
    for proc in processes:
        proc.signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for proc in processes:
        if proc.process is None:
            continue
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.process.wait(timeout=max(0.1, deadline - time.monotonic()))
    for proc in processes:
        # The leader may be gone while its group lives on (a run worker): kill the group.
        if proc.alive():
            proc.signal(signal.SIGKILL)
        else:
            _kill_group(proc)
        if proc.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.process.wait(timeout=5)


def _kill_group(proc: ManagedProcess) -> None:
    if proc.process is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.process.pid, signal.SIGKILL)
