"""The one-screen summary `keystone dev` keeps up to date: episodes by status, queues,
what reached the cloud, robots online and the state of every process it started."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from rich.console import Group
from rich.table import Table
from rich.text import Text

from keystone_dev.devstack.stack import DevStack

STATUSES = ("pending_qa", "auto_approved", "needs_inspection", "inspector_approved", "rejected")


@dataclass
class Snapshot:
    at: datetime
    stats: dict[str, Any] | None = None
    cloud_episodes: int | None = None
    error: str | None = None
    processes: dict[str, bool] = field(default_factory=dict)


def take(stack: DevStack) -> Snapshot:
    now = datetime.now(UTC)
    snap = Snapshot(now)
    procs = [*stack.stores, *stack.services, *([stack.simulator] if stack.simulator else [])]
    snap.processes = {p.name: p.alive() for p in procs}
    params = {"start": (now - timedelta(days=365)).isoformat(), "end": now.isoformat()}
    try:
        resp = httpx.get(
            stack.urls["api"] + "/api/v1/stats/summary",
            params=params,
            headers={"Authorization": f"Bearer {stack.tokens['admin']}"},
            timeout=10,
        )
        resp.raise_for_status()
        snap.stats = resp.json()
    except httpx.HTTPError as exc:
        snap.error = f"stats: {exc}"
    snap.cloud_episodes = _cloud_count(stack)
    return snap


def _cloud_count(stack: DevStack) -> int | None:
    """Episodes the cloud instance holds: read from its own database (dev only)."""
    import sqlite3

    path = stack.config.cloud_database_url.removeprefix("sqlite:///")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2) as conn:
            return int(conn.execute("SELECT count(*) FROM cloud_episodes").fetchone()[0])
    except sqlite3.Error:
        return None


def render(snap: Snapshot, started: float) -> Group:
    up = int(time.monotonic() - started)
    title = Text(
        f"Keystone dev  {snap.at:%H:%M:%S} UTC  up {up // 60}m{up % 60:02d}s  "
        "(Ctrl-C stops everything)",
        style="bold",
    )
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="cyan", no_wrap=True)
    table.add_column()
    if snap.stats is not None:
        cur, live = snap.stats["current"], snap.stats["live"]
        table.add_row("episodes", f"{cur['episodes']}  " + "  ".join(
            f"{s} {cur[s]}" for s in STATUSES))  # fmt: skip
        table.add_row(
            "tasks",
            f"completed {cur['tasks_completed']}  failed {cur['tasks_failed']}  "
            f"uploading {live['upload_queue_depth']}",
        )
        table.add_row(
            "queues",
            f"inspection {live['inspection_queue_depth']}  sync {live['sync_queue_depth']}  "
            f"sync failed {live['sync_failed']}",
        )
        cloud = "?" if snap.cloud_episodes is None else str(snap.cloud_episodes)
        table.add_row("cloud", f"synced {cur['synced']} (edge)  held by the cloud {cloud}")
        table.add_row(
            "robots", f"online {live['robots_online']}/{live['robots_total']}  stations "
            + "  ".join(f"{k} {v}" for k, v in sorted(live["workstations"].items())),
        )  # fmt: skip
    if snap.error:
        table.add_row("api", Text(snap.error, style="yellow"))
    table.add_row(
        "processes",
        Text.assemble(*[
            (f"{name} {'up' if ok else 'DOWN'}  ", "green" if ok else "bold red")
            for name, ok in snap.processes.items()
        ]),
    )  # fmt: skip
    return Group(title, table)


def one_line(snap: Snapshot) -> str:
    """For a log or a pipe (no terminal to redraw)."""
    if snap.stats is None:
        return f"{snap.at:%H:%M:%S} {snap.error}"
    cur, live = snap.stats["current"], snap.stats["live"]
    counts = " ".join(f"{s}={cur[s]}" for s in STATUSES)
    return (
        f"{snap.at:%H:%M:%S} episodes={cur['episodes']} {counts} synced={cur['synced']} "
        f"cloud={snap.cloud_episodes} robots_online={live['robots_online']}"
    )
