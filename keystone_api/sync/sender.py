"""The edge's sync sender: `drain()` empties the queue into the cloud, in approval order.

One call: push the replica outbox, then repeatedly claim a window of the oldest due
episodes, transfer their objects in parallel (job.py), and hand them to the receiver one
by one in approval order (queue_claims.py's gate). 202 and 409 both mean synced; a transient
error backs the episode off, a permanent one parks it as failed for a person
(outcomes.py). It returns when nothing is pending, when `limit` episodes were confirmed,
at `deadline` (a time.monotonic() value), or (without a deadline) when everything left is
backing off. Safe to run in several processes at once.

Entry points: the Dagster sync sensor/asset (keystone_pipelines) and `keystone sync run`.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from keystone_api.db.base import utcnow
from keystone_api.db.unit_of_work import unit_of_work_in
from keystone_api.settings import Settings
from keystone_api.sync import outcomes, queue_claims
from keystone_api.sync.errors import ClaimLost, SyncError, UnexpectedError, classify
from keystone_api.sync.job import EpisodeJob, Prepared
from keystone_api.sync.link import CloudLink, open_link
from keystone_api.sync.models import EpisodeSync
from keystone_api.sync.replica_push import push_replicas
from keystone_api.sync.stats import sync_queue_depth
from keystone_api.sync.transfer import PartBudget

log = logging.getLogger("keystone.sync")
SessionFactory = Callable[[], Session]
MAX_IDLE_SLEEP_S = 1.0
REPLICA_PUSH_EVERY_S = 2.0


@dataclass
class DrainReport:
    synced: list[str] = field(default_factory=list)  # first deliveries (202)
    already_synced: list[str] = field(default_factory=list)  # 409: the cloud had them
    errors: list[tuple[str, str]] = field(default_factory=list)  # (episode_id, error)
    bytes_sent: int = 0
    # Where the time of confirmed episodes went: moving objects vs the receiver's answer
    # (which includes its verification read of multipart objects).
    transfer_s: float = 0.0
    receiver_s: float = 0.0
    replicas_pushed: int = 0
    replicas_refused: list[str] = field(default_factory=list)  # parked for a person
    replica_errors: list[str] = field(default_factory=list)
    remaining: int = 0  # queue depth when the drain returned
    # empty: nothing pending (failed episodes may remain, waiting for a person) | limit |
    # deadline | backoff: the head waits to retry (no deadline given) | blocked: another
    # sender holds the head (no deadline given)
    stopped: str = ""

    @property
    def confirmed(self) -> int:
        return len(self.synced) + len(self.already_synced)


def default_worker() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def drain(
    session_factory: SessionFactory,
    settings: Settings,
    *,
    limit: int | None = None,
    deadline: float | None = None,
    worker: str | None = None,
) -> DrainReport:
    link = open_link(settings)
    sender = _Sender(session_factory, link, worker or default_worker())
    try:
        return sender.drain(limit, deadline)
    finally:
        sender.close()


class _Sender:
    def __init__(self, sessions: SessionFactory, link: CloudLink, worker: str) -> None:
        self.sessions, self.link, self.worker = sessions, link, worker
        self.settings = link.settings
        self.budget = PartBudget(self.settings.sync_parts_in_flight)
        self.jobs = ThreadPoolExecutor(self.settings.sync_window, thread_name_prefix="sync-ep")
        self.report = DrainReport()
        self._pushed_at = -REPLICA_PUSH_EVERY_S

    def close(self) -> None:
        self.jobs.shutdown(wait=True)
        self.budget.close()
        self.link.close()

    def drain(self, limit: int | None, deadline: float | None) -> DrainReport:
        report = self.report
        while True:
            self._push_replicas()
            if deadline is not None and time.monotonic() >= deadline:
                report.stopped = "deadline"
                break
            want = self.settings.sync_window
            if limit is not None:
                want = min(want, limit - report.confirmed)
                if want <= 0:
                    report.stopped = "limit"
                    break
            rows = unit_of_work_in(
                self.sessions,
                queue_claims.claim_window,
                self.worker,
                utcnow(),
                want,
                self.settings.sync_claim_ttl_s,
            )
            progressed = self._window(rows) if rows else False
            if progressed:
                continue
            with self.sessions() as session:
                due = queue_claims.next_due(session, utcnow())
            if due is None:
                report.stopped = "empty"
                break
            if deadline is None:
                report.stopped = "blocked" if rows else "backoff"
                break
            wait = (due - utcnow()).total_seconds()
            time.sleep(max(0.05, min(wait, deadline - time.monotonic(), MAX_IDLE_SLEEP_S)))
        self._push_replicas(force=True)
        with self.sessions() as session:
            report.remaining = sync_queue_depth(session)
        return report

    def _push_replicas(self, force: bool = False) -> None:
        if not force and time.monotonic() - self._pushed_at < REPLICA_PUSH_EVERY_S:
            return
        self._pushed_at = time.monotonic()
        try:
            pushed = push_replicas(self.sessions, self.link)
            self.report.replicas_pushed += pushed.sent
            self.report.replicas_refused += pushed.refused
        except SyncError as exc:
            self.report.replica_errors.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - replicas never stop the episode queue
            log.exception("replica push failed")
            self.report.replica_errors.append(f"{type(exc).__name__}: {exc}")

    def _window(self, rows: list[EpisodeSync]) -> bool:
        """Transfer the window in parallel, register in approval order. True if any row
        changed state (synced or backed off)."""
        started = time.monotonic()
        jobs = [EpisodeJob(self.sessions, self.link, self.budget, self.worker, r) for r in rows]
        futures: list[Future[Prepared]] = [self.jobs.submit(job.run) for job in jobs]
        progressed = False
        for row, job, future in zip(rows, jobs, futures, strict=True):
            try:
                prepared = future.result()
            except ClaimLost as exc:
                log.warning("%s", exc)
                continue
            except Exception as exc:  # noqa: BLE001 - every error is recorded on the episode
                self._failed(row, _as_sync_error(exc), started)
                progressed = True
                continue
            progressed |= self._register(row, job, prepared)
        return progressed

    def _register(self, row: EpisodeSync, job: EpisodeJob, prepared: Prepared) -> bool:
        with self.sessions() as session:
            blocker = queue_claims.earlier_pending(session, row)
        if blocker is not None:
            with self.sessions() as session, session.begin():
                outcomes.release(session, row, self.worker)
            return False
        try:
            job.renew()
            asked = time.monotonic()
            delivered = self.link.deliver_episode(prepared.body)
            answered = time.monotonic()
        except ClaimLost as exc:
            log.warning("%s", exc)
            return False
        except Exception as exc:  # noqa: BLE001
            self._failed(row, _as_sync_error(exc), prepared.started, prepared.transferred)
            return True
        with self.sessions() as session, session.begin():
            outcomes.record_delivered(
                session, row, self.worker, prepared, delivered, time.monotonic() - prepared.started
            )
        target = self.report.synced if delivered.status == 202 else self.report.already_synced
        target.append(row.episode_id)
        self.report.transfer_s += asked - prepared.started
        self.report.receiver_s += answered - asked
        self.report.bytes_sent += prepared.transferred
        return True

    def _failed(self, row: EpisodeSync, exc: SyncError, started: float, sent: int = 0) -> None:
        log.info("sync of %s failed: %s", row.episode_id, exc)
        self.report.errors.append((row.episode_id, f"{type(exc).__name__}: {exc}"))
        with self.sessions() as session, session.begin():
            outcomes.record_failure(
                session, self.settings, row, self.worker, exc, time.monotonic() - started, sent
            )


def _as_sync_error(exc: Exception) -> SyncError:
    """Infrastructure errors (network, the stores, the edge database) are transient: the
    episode keeps its place and is retried. Anything else is a bug or bad data on the
    edge: logged with its traceback, and the episode waits for a person (errors.py)."""
    error = classify(exc)
    if isinstance(error, UnexpectedError):
        log.error("unexpected sync error", exc_info=exc)
    return error
