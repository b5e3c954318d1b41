"""The four alert rules on hand-made facts: each fires above its threshold, not at it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from keystone_api.alerts.facts import FactoryFacts, RobotQueue
from keystone_api.alerts.rules import THRESHOLDS, evaluate, no_uploads, qa_failure_rate
from keystone_api.alerts.rules import sync_queue as sync_rule
from keystone_api.alerts.rules import upload_queue as upload_rule
from keystone_api.stats.schemas import LiveState, PeriodMetrics

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def facts(**changes: Any) -> FactoryFacts:
    window = PeriodMetrics(episodes=0, hours_recorded=0, bytes=0, tasks_per_hour=0)
    live = LiveState(at=NOW, inspection_queue_depth=0, sync_queue_depth=0)
    base = FactoryFacts(
        factory_id="f1",
        factory_name="F1",
        at=NOW,
        window=window,
        live=live,
        robot_queues=[],
        orders_active=1,
        qa_backlog=0,
        last_upload_at=None,
        recordings_in_flight=0,
        waiting_since=None,
        sync_retries=0,
        sync_oldest_approved_at=None,
    )
    return replace(base, **changes)


def qa(assessed: int, failed: int, pending: int = 3) -> FactoryFacts:
    window = PeriodMetrics(
        episodes=assessed + pending,
        pending_qa=pending,
        qa_passed=assessed - failed,
        hours_recorded=0,
        bytes=0,
        tasks_per_hour=0,
    )
    return facts(window=window)


def test_every_factory_gets_the_four_alerts() -> None:
    names = [a.name for a in evaluate(facts())]
    assert names == ["UploadQueueHigh", "QaFailureRateHigh", "NoUploads", "SyncQueueHigh"]
    assert not any(a.firing for a in evaluate(facts()))


def test_upload_queue_is_per_robot_and_takes_the_larger_view() -> None:
    def robot(name: str, daemon: int | None, tasks: int) -> RobotQueue:
        return RobotQueue(name, name, daemon, tasks, NOW if tasks else None)

    at_limit = facts(robot_queues=[robot("a", 5, 2), robot("b", None, 5), robot("c", 3, 3)])
    assert not upload_rule(at_limit).firing and upload_rule(at_limit).value == 5
    over = facts(robot_queues=[robot("a", 6, 0), robot("b", 1, 7), robot("c", 5, 5)])
    alert = upload_rule(over)
    assert alert.firing and alert.value == 7 and alert.severity == "warning"
    assert alert.subjects == ["b", "a"]  # worst first
    assert alert.since == NOW


@pytest.mark.parametrize(
    ("assessed", "failed", "firing"),
    [
        (20, 2, False),  # exactly 10 %
        (20, 3, True),
        (30, 3, False),
        (31, 4, True),
        (19, 19, False),  # too few to judge
        (0, 0, False),
    ],
)
def test_qa_failure_rate_above_ten_percent_once_twenty_were_assessed(
    assessed: int, failed: int, firing: bool
) -> None:
    alert = qa_failure_rate(qa(assessed, failed))
    assert alert.firing is firing
    assert alert.threshold == THRESHOLDS.qa_failure_rate
    assert alert.value == (round(failed / assessed, 4) if assessed else None)


def test_no_uploads_only_while_work_is_under_way() -> None:
    limit = timedelta(seconds=THRESHOLDS.no_upload_s)
    idle = facts(last_upload_at=NOW - timedelta(hours=14))
    assert not no_uploads(idle).firing and no_uploads(idle).value == 0
    at_limit = facts(waiting_since=NOW - limit, recordings_in_flight=2)
    assert not no_uploads(at_limit).firing and no_uploads(at_limit).value == limit.total_seconds()
    over = facts(waiting_since=NOW - limit - timedelta(seconds=1), recordings_in_flight=2)
    alert = no_uploads(over)
    assert alert.firing and alert.severity == "critical" and alert.since == over.waiting_since


def test_sync_queue_above_one_hundred() -> None:
    def depth(n: int) -> FactoryFacts:
        live = LiveState(at=NOW, inspection_queue_depth=0, sync_queue_depth=n)
        return facts(live=live, sync_oldest_approved_at=NOW - timedelta(hours=2))

    assert not sync_rule(depth(100)).firing
    assert sync_rule(depth(101)).firing and sync_rule(depth(101)).value == 101
    assert sync_rule(depth(0)).since is None
