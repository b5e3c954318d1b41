"""The task lifecycle's decisions (orders/lifecycle.py), on snapshots: no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from keystone_api.errors import Conflict, Forbidden
from keystone_api.fleet.models import WorkstationStatus as W
from keystone_api.orders import followers, lifecycle
from keystone_api.orders.lifecycle import TaskSnapshot
from keystone_api.orders.models import BatchStatus
from keystone_api.orders.models import TaskStatus as S
from keystone_api.orders.task_states import IllegalTransition

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
T0 = NOW - timedelta(minutes=5)


def task(status: S = S.pending, **kw: Any) -> TaskSnapshot:
    base: dict[str, Any] = {
        "id": "t1",
        "status": status,
        "version": 3,
        "robot_id": None,
        "batch_id": "b1",
        "workstation_id": "w1",
        "assigned_at": T0,
        "started_at": None,
        "owner_robot_id": "r1",
        "batch_status": BatchStatus.pending,
    }
    return TaskSnapshot(**{**base, **kw})


START = {"device_id": "dev-1", "started_at": "2026-01-02T03:00:00Z"}
FINISH = {
    **START,
    "finished_at": "2026-01-02T03:02:00Z",
    "file_size_bytes": 10,
    "message_count": 2,
}


def test_start_moves_an_unstarted_task_in_progress_and_claims_it_for_its_owner() -> None:
    change = lifecycle.start(task(S.ready), START, T0, "device:dev-1", NOW)
    assert change.status == S.in_progress
    assert change.values["status"] == S.in_progress
    assert change.values["started_at"] == T0
    assert change.values["robot_id"] == "r1"  # given out by its station, now its robot's
    assert change.transition is not None
    assert (change.transition["from_status"], change.transition["to_status"]) == (
        "ready",
        "in_progress",
    )
    assert change.transition["cause"] == "start callback"
    assert change.task.version == 4  # a change bumps the version (and queues its outbox row)
    assert change.station and change.batch is None and not change.upload


def test_a_repeated_start_is_a_duplicate_and_a_different_one_a_409() -> None:
    started = lifecycle.start(task(), START, T0, "d", NOW).task
    repeat = lifecycle.start(started, dict(START), T0, "d", NOW)
    assert repeat.duplicate and not repeat.values and repeat.task is started
    with pytest.raises(Conflict) as exc:
        lifecycle.start(started, {**START, "started_at": "other"}, T0, "d", NOW)
    assert exc.value.details["current_status"] == "in_progress"


def test_a_late_start_keeps_its_facts_and_the_task_stays_put() -> None:
    change = lifecycle.start(task(S.uploading, robot_id="r1"), START, T0, "d", NOW)
    assert change.status == S.uploading and change.transition is None
    assert change.values == {"start_callback": START}
    assert not change.station


def test_a_start_on_a_cancelled_task_is_refused_with_its_state() -> None:
    with pytest.raises(Conflict) as exc:
        lifecycle.start(task(S.cancelled), START, T0, "d", NOW)
    assert exc.value.details == {"current_status": "cancelled"}


def test_finish_uploads_activates_the_pending_batch_and_asks_for_the_recording() -> None:
    change = lifecycle.finish(task(S.in_progress, started_at=T0), FINISH, T0, NOW, "d", NOW)
    assert change.status == S.uploading
    assert change.batch == "activate" and change.station and change.upload
    assert "started_at" not in change.values  # known already
    assert change.transition is not None and change.transition["cause"] == "finish callback"


def test_finish_without_start_says_so_and_an_active_batch_is_left_alone() -> None:
    snap = task(S.pending, batch_status=BatchStatus.active)
    change = lifecycle.finish(snap, FINISH, T0, NOW, "d", NOW)
    assert change.values["started_at"] == T0
    assert change.transition is not None
    assert change.transition["cause"] == "finish callback (start callback never arrived)"
    assert change.batch is None


def test_a_start_and_a_finish_of_one_batch_see_each_other() -> None:
    started = lifecycle.start(task(), START, T0, "d", NOW).task
    finished = lifecycle.finish(started, FINISH, T0, NOW, "d", NOW)
    assert finished.transition is not None
    assert finished.transition["from_status"] == "in_progress"
    assert finished.task.version == 5


def test_a_late_finish_records_its_facts_only() -> None:
    change = lifecycle.finish(task(S.completed, robot_id="r1"), FINISH, T0, NOW, "d", NOW)
    assert change.status == S.completed and change.transition is None
    assert not (change.station or change.upload or change.batch)


def test_the_recorder_moves_its_task_along() -> None:
    ready = lifecycle.configured(task(), "d", "config_applied", NOW)
    assert ready.status == S.ready and ready.station and ready.batch is None
    assert lifecycle.configured(task(S.ready), "d", "c", NOW).values == {}
    rec = lifecycle.recording(ready.task, "d", "recording", NOW)
    assert rec.status == S.in_progress and rec.station
    assert lifecycle.recording(task(S.uploading), "d", "r", NOW).values == {}
    back = lifecycle.recorder_cancelled(rec.task, "d", "cancelled", NOW)
    assert back.status == S.pending
    assert back.values["start_callback"] is None  # the abandoned recording's facts go


def test_a_finish_answer_uploads_without_the_callback() -> None:
    change = lifecycle.finish_answered(task(S.in_progress), "d", NOW)
    assert change.status == S.uploading and change.values["finished_at"] == NOW
    assert change.batch == "activate" and not change.upload
    keep = lifecycle.finish_answered(task(S.ready, finished_at=T0), "d", NOW)
    assert "finished_at" not in keep.values


def test_an_offline_recorder_keeps_its_task_and_a_returning_one_settles_it() -> None:
    marked = lifecycle.recorder_offline(task(S.in_progress), NOW)
    assert marked.values == {"recorder_offline_at": NOW} and marked.status == S.in_progress
    assert lifecycle.recorder_offline(marked.task, NOW).values == {}  # marked once
    assert lifecycle.recorder_offline(task(S.pending), NOW).values == {}
    kept = lifecycle.recorder_back(marked.task, "t1", "recording", "d", NOW)
    assert kept.values == {"recorder_offline_at": None} and kept.status == S.in_progress
    lost = lifecycle.recorder_back(marked.task, None, "idle", "d", NOW)
    assert lost.status == S.pending and lost.values["assigned_at"] is None
    assert lost.transition is not None
    assert lost.transition["cause"] == "recorder back (idle) without this task"


def test_release_of_an_offline_recorders_task_waits_for_staff_and_time() -> None:
    held = task(S.in_progress, recorder_offline_at=NOW - timedelta(seconds=30))
    with pytest.raises(Forbidden):
        lifecycle.release(held, "u", "gone", NOW, staff=False, offline_release_s=120)
    with pytest.raises(Conflict) as exc:
        lifecycle.release(held, "u", "gone", NOW, staff=True, offline_release_s=120)
    assert exc.value.details["retry_after_s"] == 90
    change = lifecycle.release(held, "u", "gone", NOW, staff=True, offline_release_s=30)
    assert change.status == S.pending and change.values["recorder_offline_at"] is None
    assert change.values["assigned_at"] is None and change.station


def test_release_of_a_pending_task_only_returns_it_to_the_queue() -> None:
    change = lifecycle.release(task(), "u", "r", NOW, staff=False, offline_release_s=0)
    assert change.transition is None and change.values == {"assigned_at": None}
    assert change.station  # the station may be free now
    with pytest.raises(IllegalTransition):
        lifecycle.release(task(S.uploading), "u", "r", NOW, staff=True, offline_release_s=0)


def test_cancel_is_idempotent_and_a_bulk_cancel_leaves_the_batch_to_its_caller() -> None:
    one = lifecycle.cancel(task(S.ready), "op", "no", NOW)
    assert one.status == S.cancelled and one.batch == "settle" and one.station
    again = lifecycle.cancel(one.task, "op", "no", NOW)
    assert again.transition is None and again.batch == "settle"
    bulk = lifecycle.cancel(task(), "op", "order cancelled", NOW, follow=False)
    assert bulk.status == S.cancelled and bulk.batch is None and not bulk.station
    with pytest.raises(IllegalTransition):
        lifecycle.cancel(task(S.uploading), "op", "no", NOW)


def test_uploads_landing_and_retries() -> None:
    failed = lifecycle.upload_failed(task(S.uploading), "x" * 3000, "d", NOW)
    assert failed.status == S.failed and len(failed.values["failure_reason"]) == 2000
    assert lifecycle.upload_failed(failed.task, "again", "d", NOW).values == {}
    retried = lifecycle.upload_started(failed.task, "d", NOW)
    assert retried.status == S.uploading and retried.values["failure_reason"] is None
    assert retried.transition is not None
    assert retried.transition["cause"] == "robot retried the upload"
    landed = lifecycle.landed(task(S.cancelled), "sensor", NOW)
    assert landed.status == S.completed and landed.batch == "settle"
    assert landed.transition is not None
    assert landed.transition["cause"].endswith("(finish callback not received)")
    with pytest.raises(Conflict):
        lifecycle.retry(task(S.uploading), "upload", "op", "r", NOW)
    again = lifecycle.retry(failed.task, "upload", "op", "r", NOW)
    assert again.status == S.uploading and again.upload
    record = lifecycle.retry(failed.task, "record", "op", "r", NOW)
    assert record.status == S.pending and record.values["assigned_at"] is None


def test_the_rules_a_task_change_leaves_to_its_batch_and_station() -> None:
    assert lifecycle.holder("r1", "r2") == "r1" and lifecycle.holder(None, "r2") == "r2"
    assert followers.keeps_station_recording(S.pending, T0)
    assert not followers.keeps_station_recording(S.pending, None)
    assert not followers.keeps_station_recording(S.uploading, T0)
    assert followers.station_status(W.idle, True) == W.recording
    assert followers.station_status(W.recording, False) == W.idle
    assert followers.station_status(W.on_break, True) is None  # the collector's
    assert followers.activates_batch({S.uploading: 1, S.pending: 3})
    assert not followers.activates_batch({S.failed: 1, S.pending: 3})
    assert followers.ended_batch({S.completed: 1, S.cancelled: 2}) == BatchStatus.completed
    assert followers.ended_batch({S.failed: 1, S.cancelled: 2}) == BatchStatus.cancelled
    assert followers.ended_batch({S.completed: 1, S.uploading: 1}) is None
    assert followers.ended_batch({}) is None


def test_a_refused_decision_changes_nothing() -> None:
    snap = task(S.completed)
    with pytest.raises(IllegalTransition):
        lifecycle.cancel(snap, "op", "no", NOW)
    assert snap == replace(snap)  # frozen: a refusal has nothing to undo
