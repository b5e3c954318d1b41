"""The code location loads, and validates against the MySQL-backed instance."""

from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg

from tests.conftest import REPO_ROOT


def test_definitions_load() -> None:
    from keystone_pipelines.definitions import defs

    assert isinstance(defs, dg.Definitions)
    defs.get_repository_def()  # resolves every asset, job, sensor and resource


def test_dagster_definitions_validate_passes(dagster_home) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All code locations passed validation" in result.stdout + result.stderr


def test_instance_is_mysql_backed_and_queued(dagster_home) -> None:
    instance = dg.DagsterInstance.get()
    try:
        assert type(instance.run_storage).__name__ == "MySQLRunStorage"
        assert type(instance.event_log_storage).__name__ == "MySQLEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "MySQLScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        queue = instance.get_concurrency_config().run_queue_config
        assert queue is not None and queue.max_concurrent_runs >= 1
        assert not instance.telemetry_enabled
    finally:
        instance.dispose()
