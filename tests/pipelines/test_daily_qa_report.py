"""The daily QA report on the real MariaDB, SeaweedFS and Dagster: a day's run writes each
table as Parquet and CSV under qa/reports/daily/<day>/ of the factory's bucket with the
counts the seeded episodes imply, the Parquet, the CSV and the Dagster metadata agree, an
empty day writes an empty report, and a bad factory id fails the run with its reason."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import pandas as pd
import pytest

from keystone_api.settings import get_settings
from keystone_api.storage.s3 import ensure_bucket
from keystone_pipelines.definitions import defs
from keystone_pipelines.defs.reports.partitions import daily, day_window
from keystone_pipelines.defs.reports.store import report_prefix
from tests.api import flows
from tests.api.world import build_world
from tests.dashboard.seed import move_landing

ASSET = "daily_qa_report"
TABLES = ("by_check", "by_robot", "by_station", "by_collector", "by_hour")


def _run(day: str, instance, keystone, factory_id: str | None = None):  # type: ignore[no-untyped-def]
    config = {"factory_id": factory_id} if factory_id else {}
    return defs.resolve_job_def("daily_qa_report_job").execute_in_process(
        partition_key=day,
        instance=instance,
        resources={"keystone": keystone},
        run_config={"ops": {ASSET: {"config": config}}},
        raise_on_error=False,
    )


def _metadata(result) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert result.success, result.all_events
    (materialization,) = result.asset_materializations_for_node(ASSET)
    return {k: v.value for k, v in materialization.metadata.items()}


def _read(s3, bucket: str, day: str, table: str) -> tuple[pd.DataFrame, pd.DataFrame]:  # type: ignore[no-untyped-def]
    key = report_prefix(day) + table
    parquet = s3.get_object(Bucket=bucket, Key=key + ".parquet")["Body"].read()
    csv = s3.get_object(Bucket=bucket, Key=key + ".csv")["Body"].read()
    return pd.read_parquet(io.BytesIO(parquet)), pd.read_csv(io.BytesIO(csv))


def _cell(value: Any) -> Any:
    """One cell of Parquet, CSV or Dagster metadata in one form: numbers as floats, times as
    ISO text, missing as None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str) and value[:4].isdigit() and "T" in value:
        return pd.Timestamp(value).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return str(value)


def _rows(frame: pd.DataFrame) -> list[list[Any]]:
    return [[_cell(v) for v in row] for row in frame.astype(object).itertuples(index=False)]


def _shown(table: Any) -> tuple[list[str], list[list[Any]]]:
    """A metadata table without its factory_id column: its columns and rows."""
    names = [c.name for c in table.schema.columns]
    assert names[0] == "factory_id"
    rows = [[_cell(r.data[n]) for n in names[1:]] for r in table.records]
    return names[1:], rows


def _same_everywhere(s3, bucket: str, day: str, meta: dict[str, Any]) -> dict[str, pd.DataFrame]:  # type: ignore[no-untyped-def]
    """Each table's Parquet equals its CSV and the rows Dagster shows; the Parquet frames."""
    frames = {}
    for table in TABLES:
        parquet, csv = _read(s3, bucket, day, table)
        assert list(parquet.columns) == list(csv.columns), table
        assert _rows(parquet) == _rows(csv), table
        columns, shown = _shown(meta[table])
        assert columns == list(parquet.columns), table
        assert shown == _rows(parquet)[: len(shown)], table
        assert len(shown) == min(len(parquet), 25 if table != "by_hour" else 24), table
        frames[table] = parquet
    return frames


def _by(frame: pd.DataFrame, key: str) -> dict[str, dict[str, Any]]:
    return {str(row[key]): row for row in frame.to_dict("records")}


def test_a_days_report_counts_its_failures_by_check_robot_station_collector_and_hour(
    world, s3, dagster_instance, keystone_resource
) -> None:
    w = world
    day = daily.get_last_partition_key()
    assert day is not None
    start, _ = day_window(day)
    w.order(target=10)
    # name: station, QA score, failing checks (None: not assessed), hour landed (None: now)
    plan = {
        "clean": (0, 1.0, (), 5),
        "gappy": (0, 0.95, ("gaps",), 5),
        "blurry": (1, 0.5, ("image_integrity", "gaps"), 14),
        "bad": (1, 0.4, ("required_topics",), 14),
        "pending": (0, None, (), 22),
        "today": (1, 0.5, ("image_integrity",), None),  # another day: not in the report
    }
    episodes = {}
    for name, (station, score, failing, hour) in plan.items():
        episodes[name] = flows.record_one(w, s3, station)
        if score is not None:
            flows.record_qa(episodes[name]["id"], score, failing)
        if hour is not None:
            move_landing(episodes[name]["id"], start + timedelta(hours=hour, minutes=20))
    try:
        meta = _metadata(_run(day, dagster_instance, keystone_resource, w.factory_id))
    finally:
        # Assessed, so no later test's landing sensor finds a pending episode it never made.
        flows.record_qa(episodes["pending"]["id"], 1.0)

    assert (meta["episodes"], meta["assessed"], meta["failed_qa"]) == (5, 4, 3)
    assert (meta["failed_checks"], meta["factories"]) == (4, 1)
    bucket = get_settings().bucket_for(w.factory_id)
    assert f"s3://{bucket}/qa/reports/daily/{day}/" in meta["files"]
    frames = _same_everywhere(s3, bucket, day, meta)

    checks = frames["by_check"]
    assert list(checks["check"]) == [
        "gaps",
        "image_integrity",
        "required_topics",
        "duration",
        "structure",
    ]
    assert list(checks["failed"]) == [2, 1, 1, 0, 0]
    assert set(checks["checked"]) == {4} and list(checks["passed"]) == [2, 3, 3, 4, 4]
    assert (checks["robots"][0], checks["stations"][0]) == (2, 2)  # gaps: on both

    robots, stations, collectors = (frames[t] for t in ("by_robot", "by_station", "by_collector"))
    assert list(robots["name"]) == ["r1", "r0"]  # most failed first
    assert list(stations["name"]) == ["WS-01", "WS-00"]
    assert list(collectors["key"]) == [w.collectors[1]["id"], w.collectors[0]["id"]]
    for frame in (robots, stations, collectors):
        numbers = ["episodes", "assessed", "failed_qa", "failed_checks", "rejected"]
        assert frame[numbers].values.tolist() == [[2, 2, 2, 3, 0], [3, 2, 1, 1, 0]]
        # r1 failed gaps, image_integrity, required_topics once each: the first name wins.
        assert list(frame["top_failed_check"]) == ["gaps", "gaps"]
        assert list(frame["qa_pass_rate"]) == [0.0, 0.5]

    hours = frames["by_hour"]
    assert list(hours["hour"]) == list(range(24))
    assert hours["start"][0] == pd.Timestamp(start)
    busy = hours[hours["episodes"] > 0]
    assert busy[["hour", "episodes", "assessed", "failed_qa", "failed_checks"]].values.tolist() == [
        [5, 2, 2, 1, 1],
        [14, 2, 2, 2, 3],
        [22, 1, 0, 0, 0],
    ]
    assert list(busy["tasks_completed"]) == [2, 2, 1]
    assert busy["top_failed_check"].tolist()[:2] == ["gaps", "gaps"]


def test_a_day_with_nothing_landed_writes_an_empty_report(
    client, s3, dagster_instance, keystone_resource
) -> None:
    w = build_world(client)  # a factory of its own: nothing of it ever landed
    bucket = get_settings().bucket_for(w.factory_id)
    ensure_bucket(s3, bucket)  # as its first robot's enrollment makes it
    day = daily.get_last_partition_key()
    assert day is not None

    meta = _metadata(_run(day, dagster_instance, keystone_resource, w.factory_id))

    assert (meta["episodes"], meta["assessed"], meta["failed_qa"], meta["failed_checks"]) == (
        0,
        0,
        0,
        0,
    )
    frames = _same_everywhere(s3, bucket, day, meta)
    for table in ("by_check", "by_robot", "by_station", "by_collector"):
        assert frames[table].empty, table
        assert "failed_qa" in frames[table].columns or table == "by_check"
    # The hours are there, all zero: a chart of the day keeps its axis.
    hours = frames["by_hour"]
    assert list(hours["hour"]) == list(range(24))
    assert hours[["episodes", "failed_qa", "failed_checks", "tasks_completed"]].sum().sum() == 0


def test_a_factory_without_a_bucket_is_named_not_written(
    client, s3, dagster_instance, keystone_resource
) -> None:
    # No robot yet: no bucket (a robot's registration makes it; the qa key may not).
    w = build_world(client, stations=0)
    day = daily.get_last_partition_key()
    assert day is not None
    meta = _metadata(_run(day, dagster_instance, keystone_resource, w.factory_id))
    assert meta["factories"] == 0
    assert f"`{w.factory_id}`: not written (bucket" in meta["files"]


def test_the_qa_process_key_writes_the_report(
    world, s3, s3_server, mysql_url, dagster_instance
) -> None:
    """The key the code location runs with in production (keystone storage provision qa):
    the report lies under its own prefix, qa/, so no permission was added for it."""
    from keystone_pipelines.resources import KeystoneResource
    from tests.gateways.test_process_keys import _provision

    world.order(target=1)
    flows.record_one(world, s3, 0)  # the factory's bucket, with a recording
    key = _provision(s3_server, "qa")
    keystone = KeystoneResource(
        database_url=mysql_url,
        s3_endpoint_url=s3_server.endpoint_url,
        s3_access_key=key["access"],
        s3_secret_key=key["secret"],
    )
    day = daily.get_last_partition_key()
    assert day is not None
    meta = _metadata(_run(day, dagster_instance, keystone, world.factory_id))
    assert meta["factories"] == 1
    bucket = get_settings().bucket_for(world.factory_id)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=report_prefix(day))["Contents"]
    assert sorted(o["Key"].rsplit("/", 1)[1] for o in listed) == sorted(
        f"{t}.{ext}" for t in TABLES for ext in ("parquet", "csv")
    )


@pytest.mark.parametrize("factory_id", ["no-such-factory", "0190f0e2-0000-7000-8000-000000000000"])
def test_an_unknown_factory_fails_the_run_with_its_reason(
    factory_id: str, dagster_instance, keystone_resource
) -> None:
    day = daily.get_last_partition_key()
    assert day is not None
    result = _run(day, dagster_instance, keystone_resource, factory_id)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert f"factory_id: no live factory '{factory_id}'" in str(failure.event_specific_data)


def test_a_day_is_a_partition_once_it_has_ended() -> None:
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    last = daily.get_last_partition_key()
    assert last is not None and last < today
    start, end = day_window(last)
    assert (end - start, start.tzinfo) == (timedelta(days=1), UTC)
    with pytest.raises(ValueError):
        day_window("2026-13-01")


def test_the_schedule_reports_the_day_that_ended_at_one_in_the_morning(dagster_instance) -> None:
    daily_qa_report_schedule = defs.resolve_schedule_def("daily_qa_report_schedule")
    assert daily_qa_report_schedule.cron_schedule == "0 1 * * *"
    assert daily_qa_report_schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    today = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0)
    context = dg.build_schedule_context(instance=dagster_instance, scheduled_execution_time=today)
    requests = daily_qa_report_schedule.evaluate_tick(context).run_requests
    assert requests is not None
    assert [r.partition_key for r in requests] == [(today - timedelta(days=1)).strftime("%Y-%m-%d")]


def test_every_factory_is_reported_when_none_is_named(
    world, s3, dagster_instance, keystone_resource
) -> None:
    """The schedule's run: each factory's files in its own bucket, the metadata's tables
    naming the factory of each row."""
    w = world
    w.order(target=1)
    episode = flows.record_one(w, s3, 0)
    flows.record_qa(episode["id"], 0.5, ("image_integrity",))
    day = daily.get_last_partition_key()
    assert day is not None
    move_landing(episode["id"], day_window(day)[0] + timedelta(hours=9))

    meta = _metadata(_run(day, dagster_instance, keystone_resource))

    assert meta["factories"] >= 1 and f"`{w.factory_id}`: `s3://" in meta["files"]
    robots = meta["by_robot"]
    mine = [r.data for r in robots.records if r.data["factory_id"] == w.factory_id]
    assert [(r["name"], r["failed_qa"], r["top_failed_check"]) for r in mine] == [
        ("r0", 1, "image_integrity")
    ]
    failed = [r.data["failed_qa"] for r in robots.records]
    assert failed == sorted(failed, reverse=True)  # most failures first, across factories
    bucket = get_settings().bucket_for(w.factory_id)
    parquet, _ = _read(s3, bucket, day, "by_robot")
    assert list(parquet["name"]) == ["r0"]
