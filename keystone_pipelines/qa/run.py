"""One QA run over an hour of landed recordings: claim, validate in parallel, record."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from keystone_api.settings import Settings
from keystone_pipelines.qa.assess import Assessment, assess
from keystone_pipelines.qa.episode_claims import claim, release
from keystone_pipelines.qa.spec_for import SpecCache

log = logging.getLogger("keystone.qa")


@dataclass
class QaRunReport:
    assessed: list[Assessment] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (episode id, error)


def run_qa(
    sessions: sessionmaker[Session],
    s3: Any,
    settings: Settings,
    start: datetime,
    end: datetime,
    token: str,
    *,
    workers: int = 4,
    lease_s: int = 900,
    batch: int = 500,
    actor: str = "dagster:episode_qa",
    on_progress: Callable[[Assessment], None] | None = None,
) -> QaRunReport:
    """Assess every claimable pending_qa episode landed in [start, end), batch by batch.

    Transient failures (object store or database hiccups) release the episode's claim and
    are reported, so the run fails and is retried (run retries) without losing anything.
    """
    report = QaRunReport()
    specs = SpecCache()
    while True:
        ids = claim(sessions, start, end, token, lease_s, limit=batch)
        if not ids:
            return report

        def one(episode_id: str) -> Assessment | None:
            try:
                return assess(sessions, s3, settings, episode_id, token, actor, specs)
            except Exception as exc:  # noqa: BLE001 - one episode's trouble is reported, not fatal
                log.exception("QA of %s failed", episode_id)
                release(sessions, [episode_id], token)
                report.errors.append((episode_id, f"{type(exc).__name__}: {exc}"))
                return None

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qa") as pool:
            for result in pool.map(one, ids):
                if result is not None:
                    report.assessed.append(result)
                    if on_progress:
                        on_progress(result)
        if report.errors:
            return report  # let the run fail and retry rather than spin on a broken store
