"""/metrics: a Prometheus collector that reads the current values from MySQL at scrape time.

Nothing is counted in the API process, so every worker (and every replica) reports the
same truth, and a restart loses nothing. Each factory's numbers come from
`keystone_api.alerts.facts.gather` (the statistics API's queries), the same numbers the
alerts judge. Rates and "last hour" counts are over the last 60 minutes (facts.WINDOW); a
rate with no denominator in that hour is left out (absent), never reported as 0. Each
rate's HELP is its definition from stats/rates.py, the line the pages show beside it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy.orm import Session

from keystone_api.alerts.facts import FactoryFacts
from keystone_api.alerts.service import factories, factory_facts, unresolved_counts
from keystone_api.db.base import utcnow
from keystone_api.episodes.models import EpisodeStatus
from keystone_api.stats import rates

F = ["factory"]
# The window of every rate and "last hour" count here (alerts.facts.WINDOW); a pace
# (tasks per hour) has that window wherever it is shown (stats/rates.py).
LAST_HOUR = "the last 60 minutes"
# name -> (help, labels); every family is a gauge (values are read, not counted here).
FAMILIES: dict[str, tuple[str, list[str]]] = {
    "keystone_factory_info": ("A live factory (value 1) and its name", [*F, "name"]),
    "keystone_tasks_per_hour": (rates.help_text("tasks_per_hour", LAST_HOUR), F),
    "keystone_tasks_ended_last_hour": (
        "Tasks that ended in the last hour, by outcome (completed or failed)",
        [*F, "outcome"],
    ),
    "keystone_upload_success_ratio": (rates.help_text("upload_success_rate", LAST_HOUR), F),
    "keystone_tasks_uploading": ("Tasks recorded whose upload has not landed yet", F),
    "keystone_robot_upload_queue_files": (
        "Recordings waiting on a robot: as its transfer daemon last reported (pending + "
        "uploading + retry_wait) and as tasks in 'uploading' (alert above 5)",
        [*F, "robot", "device_id", "source"],
    ),
    "keystone_recordings_in_flight": ("Tasks recording or uploading", F),
    "keystone_last_upload_timestamp_seconds": ("When the latest recording landed", F),
    "keystone_upload_wait_seconds": (
        "While work is under way: seconds since an upload was first owed and none landed "
        "(0 when no recording is under way; alert above 1800)",
        F,
    ),
    "keystone_qa_assessed_last_hour": ("Episodes landed in the last hour and assessed", F),
    "keystone_qa_failed_last_hour": (
        "Of those, episodes with at least one failed QA check",
        F,
    ),
    "keystone_qa_pass_ratio": (rates.help_text("qa_pass_rate", LAST_HOUR), F),
    "keystone_qa_auto_approval_ratio": (rates.help_text("auto_approval_rate", LAST_HOUR), F),
    "keystone_qa_pending_episodes": ("Episodes waiting for QA (whenever they landed)", F),
    "keystone_episodes_last_hour": (
        "Episodes landed in the last hour, by QA status",
        [*F, "status"],
    ),
    "keystone_inspection_queue_depth": ("Episodes waiting for an inspector", F),
    "keystone_inspection_oldest_wait_seconds": ("How long the oldest flagged episode waits", F),
    "keystone_sync_queue_depth": (
        "Approved episodes queued for the cloud, not there yet: queued + uploading "
        "(alert above 100)",
        F,
    ),
    "keystone_sync_waiting_episodes": ("Approved, waiting for an operator (manual sync mode)", F),
    "keystone_sync_failed_episodes": (
        "Episodes stopped on an error that needs a person (not retried until re-queued)",
        F,
    ),
    "keystone_sync_retries": ("Failed sync attempts of the episodes still queued", F),
    "keystone_sync_latency_seconds": (
        "Approval to cloud confirmation of the episodes landed in the last hour and synced",
        [*F, "stat"],
    ),
    "keystone_robots": ("Robots (not archived)", F),
    "keystone_robots_online": ("Robots connected or heard from within the heartbeat window", F),
    "keystone_robots_available": ("Online robots not in maintenance", F),
    "keystone_workstations": ("Workstations by status", [*F, "status"]),
    "keystone_orders_active": ("Orders being collected", F),
    "keystone_operator_events_unresolved": (
        "Unresolved operator events of the last 7 days (e.g. failed pipeline runs)",
        ["kind", "severity"],
    ),
    "keystone_metrics_collect_seconds": ("How long reading these metrics took", []),
}


class Families:
    """Gauges by name, filled per factory."""

    def __init__(self) -> None:
        self._by_name = {
            name: GaugeMetricFamily(name, text, labels=labels)
            for name, (text, labels) in FAMILIES.items()
        }

    def add(self, name: str, labels: list[str], value: float | None) -> None:
        if value is not None:
            self._by_name[name].add_metric(labels, float(value))

    def __iter__(self) -> Iterator[Metric]:
        return iter(self._by_name.values())


def add_factory(m: Families, f: FactoryFacts) -> None:
    fid, w, live = f.factory_id, f.window, f.live
    m.add("keystone_factory_info", [fid, f.factory_name], 1)
    m.add("keystone_tasks_per_hour", [fid], live.tasks_per_hour)
    m.add("keystone_tasks_ended_last_hour", [fid, "completed"], w.tasks_completed)
    m.add("keystone_tasks_ended_last_hour", [fid, "failed"], w.tasks_failed)
    m.add("keystone_upload_success_ratio", [fid], w.upload_success_rate)
    m.add("keystone_tasks_uploading", [fid], live.upload_queue_depth)
    for q in f.robot_queues:
        robot = [fid, q.robot_id, q.device_id]
        m.add("keystone_robot_upload_queue_files", [*robot, "daemon"], q.daemon_files)
        m.add("keystone_robot_upload_queue_files", [*robot, "tasks"], q.uploading_tasks)
    m.add("keystone_recordings_in_flight", [fid], f.recordings_in_flight)
    if f.last_upload_at is not None:
        m.add("keystone_last_upload_timestamp_seconds", [fid], f.last_upload_at.timestamp())
    m.add("keystone_upload_wait_seconds", [fid], round(f.upload_wait_s, 3))
    m.add("keystone_qa_assessed_last_hour", [fid], f.assessed)
    m.add("keystone_qa_failed_last_hour", [fid], f.qa_failed)
    m.add("keystone_qa_pass_ratio", [fid], w.qa_pass_rate)
    m.add("keystone_qa_auto_approval_ratio", [fid], w.auto_approval_rate)
    m.add("keystone_qa_pending_episodes", [fid], f.qa_backlog)
    for status in EpisodeStatus:
        m.add("keystone_episodes_last_hour", [fid, status.value], getattr(w, status.value))
    m.add("keystone_inspection_queue_depth", [fid], live.inspection_queue_depth)
    m.add("keystone_inspection_oldest_wait_seconds", [fid], live.oldest_inspection_wait_s)
    m.add("keystone_sync_queue_depth", [fid], live.sync_queue_depth)
    m.add("keystone_sync_waiting_episodes", [fid], live.sync_waiting)
    m.add("keystone_sync_failed_episodes", [fid], live.sync_failed)
    m.add("keystone_sync_retries", [fid], f.sync_retries)
    for stat in ("avg", "p95", "max"):
        m.add("keystone_sync_latency_seconds", [fid, stat], getattr(w, f"sync_latency_{stat}_s"))
    m.add("keystone_robots", [fid], live.robots_total)
    m.add("keystone_robots_online", [fid], live.robots_online)
    m.add("keystone_robots_available", [fid], live.robots_available)
    for station_status, n in sorted(live.workstations.items()):
        m.add("keystone_workstations", [fid, station_status], n)
    m.add("keystone_orders_active", [fid], f.orders_active)


class KeystoneCollector(Collector):
    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._sessions = session_factory

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        m = Families()
        now = utcnow()
        with self._sessions() as session:
            for facts in factory_facts(session, factories(session), now):
                add_factory(m, facts)
            for kind, severity, n in unresolved_counts(session, now):
                m.add("keystone_operator_events_unresolved", [kind, severity], n)
        m.add("keystone_metrics_collect_seconds", [], round(time.perf_counter() - started, 6))
        yield from m


def build_registry(session_factory: Callable[[], Session]) -> CollectorRegistry:
    # A registry of our own (not the global default): nothing per-process gets in.
    registry = CollectorRegistry(auto_describe=False)
    registry.register(KeystoneCollector(session_factory))
    return registry


def metric_names() -> set[str]:
    """Every family name /metrics may expose (the rules file test checks against these)."""
    return set(FAMILIES)
