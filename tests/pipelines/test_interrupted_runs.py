"""A run interrupted from outside (Ctrl-C of `keystone dev`, which stops its processes) is
not a failure anyone should be paged for: no operator event, whether Dagster reports it
failed by interruption or the next start finds its process gone (then it is canceled)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from keystone_pipelines.defs.operations.sensors import pipeline_failure_sensor
from tests.conftest import REPO_ROOT
from tests.pipelines import run_targets
from tests.pipelines.operator_events import events_of, sensor_tick


def _start_interruptible_run(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    started = tmp_path / "started"
    config = tmp_path / "run.yaml"
    config.write_text(f"ops:\n  wait_until_stopped:\n    config:\n      started_file: {started}\n")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("dagster")),
            "job",
            "execute",
            "-f",
            str(Path(run_targets.__file__)),
            "-j",
            "interruptible_job",
            "-c",
            str(config),
        ],  # fmt: skip
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120  # a hang guard, not a speed expectation
    while not started.exists():
        assert process.poll() is None, "the run ended before it was interrupted"
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.2)
    return process, started


def _latest_run(instance, job_name: str) -> dg.DagsterRun:  # type: ignore[no-untyped-def]
    return instance.get_runs(filters=dg.RunsFilter(job_name=job_name), limit=1)[0]


def test_an_interrupted_run_raises_no_event(tmp_path, dagster_instance, keystone_resource) -> None:
    process, _ = _start_interruptible_run(tmp_path)
    process.send_signal(signal.SIGINT)  # Ctrl-C
    process.wait(timeout=120)
    run = _latest_run(dagster_instance, "interruptible_job")
    assert run.status == dg.DagsterRunStatus.FAILURE
    assert run.tags["dagster/failure_reason"] == "UNEXPECTED_TERMINATION"
    tick = sensor_tick(
        pipeline_failure_sensor,
        dg.DagsterEventType.RUN_FAILURE,
        dagster_instance,
        keystone_resource,
        run.run_id,
    )
    assert isinstance(tick, dg.SkipReason) and "interrupted" in tick.skip_message
    assert events_of({run.run_id}) == []


def test_a_run_killed_with_the_stack_is_canceled_at_the_next_start(
    tmp_path, dagster_instance
) -> None:
    """A run whose process died without a word (SIGKILL, as when `keystone dev` is stopped
    hard) stays "started"; the next `keystone dev` ends it canceled, so no failure (and no
    run-failure event) comes of it."""
    from keystone_pipelines.dev_instance import prepare

    process, _ = _start_interruptible_run(tmp_path)
    process.kill()
    process.wait(timeout=60)
    run = _latest_run(dagster_instance, "interruptible_job")
    assert run.status == dg.DagsterRunStatus.STARTED
    assert prepare(dagster_instance) >= 1
    run = dagster_instance.get_run_by_id(run.run_id)
    assert run.status == dg.DagsterRunStatus.CANCELED
    assert dagster_instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE) == []


def test_a_run_whose_process_the_stack_stopped_raises_no_event(
    tmp_path, dagster_instance, keystone_resource
) -> None:
    """When the run's process ends by SIGTERM before it can report, the code server that
    launched it fails the run (its orphan check: the same two calls, with Dagster's own
    explanation): no event. Killed by SIGKILL (Dagster: usually out of memory), an event."""
    from dagster._utils import get_run_crash_explanation

    events = {}
    for sig in (signal.SIGTERM, signal.SIGKILL):
        process, _ = _start_interruptible_run(tmp_path / sig.name)
        process.kill()
        process.wait(timeout=60)
        run = _latest_run(dagster_instance, "interruptible_job")
        assert run.status == dg.DagsterRunStatus.STARTED
        explanation = get_run_crash_explanation(
            prefix=f"Run execution process for {run.run_id}", exit_code=-sig.value
        )
        dagster_instance.report_engine_event(explanation, run)
        dagster_instance.report_run_failed(run)
        events[sig] = (
            sensor_tick(
                pipeline_failure_sensor,
                dg.DagsterEventType.RUN_FAILURE,
                dagster_instance,
                keystone_resource,
                run.run_id,
            ),
            events_of({run.run_id}),
        )
    tick, recorded = events[signal.SIGTERM]
    assert isinstance(tick, dg.SkipReason) and "interrupted" in tick.skip_message
    assert recorded == []
    tick, recorded = events[signal.SIGKILL]
    assert tick is None and len(recorded) == 1
    assert "terminated by signal 9" in recorded[0].detail
