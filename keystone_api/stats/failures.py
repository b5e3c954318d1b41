"""The QA check results of a period's episodes, grouped: what the daily QA report counts as
failures, per check and per robot, station, collector or hour (with the check failing most).

A check result is the latest assessment's (qa_checks holds one row per episode and check).
Episodes are selected by the same WHERE clauses as every statistic (stats/scope.py), so a
report's failures and its episode counts speak of the same episodes.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import case, distinct, func, literal_column, select
from sqlalchemy.orm import Session

from keystone_api.episodes.models import Episode, QaCheck
from keystone_api.stats.aggregates import count_if
from keystone_api.stats.scope import Scope

FAILED = QaCheck.passed.is_(False)


def by_check(session: Session, scope: Scope, period: tuple[datetime, datetime]) -> list[Any]:
    """One row per check name: episodes it judged, passed, failed, and how many robots and
    stations had it fail (a defect on one robot reads differently from one on all)."""
    stmt = (
        select(
            QaCheck.name.label("check_name"),
            func.count(QaCheck.id).label("checked"),
            count_if(QaCheck.passed.is_(True), "passed"),
            count_if(FAILED, "failed"),
            func.count(distinct(case((FAILED, Episode.robot_id)))).label("robots"),
            func.count(distinct(case((FAILED, Episode.workstation_id)))).label("stations"),
        )
        .select_from(QaCheck)
        .join(Episode, Episode.id == QaCheck.episode_id)
        .where(*scope.episodes(period))
        .group_by(QaCheck.name)
    )
    return list(session.execute(stmt))


def failed_by(
    session: Session, scope: Scope, period: tuple[datetime, datetime], key: Any
) -> dict[Any, Counter[str]]:
    """Failed check results per value of `key` (an episodes column or expression), counted
    by check name."""
    # A label that is no column of episodes: MariaDB resolves GROUP BY names to columns first.
    stmt = (
        select(key.label("group_key"), QaCheck.name.label("check_name"), func.count(QaCheck.id))
        .select_from(QaCheck)
        .join(Episode, Episode.id == QaCheck.episode_id)
        .where(*scope.episodes(period), FAILED)
        .group_by(literal_column("group_key"), QaCheck.name)
    )
    out: dict[Any, Counter[str]] = {}
    for group_key, check_name, failed in session.execute(stmt):
        out.setdefault(group_key, Counter())[check_name] += int(failed)
    return out


def top_check(failed: Counter[str] | None) -> str | None:
    """The check that failed most (ties: the first name), None when none failed."""
    if not failed:
        return None
    return min(failed.items(), key=lambda item: (-item[1], item[0]))[0]
