"""The Dagster code location's graph as plain data: assets (group, kinds, partitions,
dependencies, checks), jobs, sensors and schedules. Committed as asset_graph.snapshot.json
and compared with the live definitions by test_asset_graph.py, so that a change to the graph
shows in review as a change to that file.

Regenerate it after changing the graph on purpose:

    .venv/bin/python -m tests.pipelines.asset_graph --write
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).with_name("asset_graph.snapshot.json")
WRITE_COMMAND = ".venv/bin/python -m tests.pipelines.asset_graph --write"


def _partitions(partitions_def: Any) -> dict[str, Any] | None:
    import dagster as dg

    if partitions_def is None:
        return None
    kind = type(partitions_def).__name__
    if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        # Not its start: that is each edge's configuration (KEYSTONE_PARTITIONS_START).
        return {
            "kind": kind,
            "cron_schedule": partitions_def.cron_schedule,
            "timezone": partitions_def.timezone,
            "fmt": partitions_def.fmt,
            "end_offset": partitions_def.end_offset,
        }
    return {"kind": kind, "description": str(partitions_def)}


def _check_name(key: Any) -> str:
    return f"{key.asset_key.to_user_string()}:{key.name}"


def _assets(graph: Any) -> dict[str, Any]:
    assets = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        condition = node.automation_condition
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "partitions": _partitions(node.partitions_def),
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "checks": {
                check.name: {
                    "blocking": graph.get(check).blocking,
                    # Per partition: each evaluation names its hour.
                    "partitions": _partitions(graph.get(check).partitions_def),
                }
                for check in sorted(node.check_keys, key=lambda c: c.name)
            },
            "automation_condition": None if condition is None else str(condition),
        }
    return dict(sorted(assets.items()))


def _jobs(repository: Any) -> dict[str, Any]:
    jobs = {}
    for job in repository.get_all_jobs():
        if job.name.startswith("__"):  # Dagster's implicit job of all assets
            continue
        layer = job.asset_layer
        jobs[job.name] = {
            "assets": sorted(k.to_user_string() for k in layer.executable_asset_keys),
            "checks": sorted(_check_name(c) for c in layer.asset_graph.asset_check_keys),
            "ops": sorted(node.name for node in job.graph.node_defs),
            "partitions": _partitions(job.partitions_def),
            "executor": job.executor_def.name,
            "tags": dict(sorted(job.tags.items())),
        }
    return dict(sorted(jobs.items()))


def _sensors(repository: Any) -> dict[str, Any]:
    sensors = {}
    for sensor in repository.sensor_defs:
        sensors[sensor.name] = {
            "type": sensor.sensor_type.value,
            "jobs": sorted(target.job_name for target in sensor.targets),
            "minimum_interval_seconds": sensor.minimum_interval_seconds,
            "default_status": sensor.default_status.value,
        }
    return dict(sorted(sensors.items()))


def _schedules(repository: Any) -> dict[str, Any]:
    return {
        schedule.name: {
            "cron": schedule.cron_schedule,
            "job": schedule.job_name,
            "timezone": schedule.execution_timezone,
            "default_status": schedule.default_status.value,
        }
        for schedule in sorted(repository.schedule_defs, key=lambda s: s.name)
    }


def describe() -> dict[str, Any]:
    """The live graph of keystone_pipelines.definitions."""
    from keystone_pipelines.definitions import defs

    repository = defs.get_repository_def()
    return {
        "assets": _assets(repository.asset_graph),
        "jobs": _jobs(repository),
        "sensors": _sensors(repository),
        "schedules": _schedules(repository),
    }


def render(graph: dict[str, Any]) -> str:
    return json.dumps(graph, indent=2) + "\n"


def main(argv: list[str]) -> int:
    if argv != ["--write"]:
        print(f"usage: {WRITE_COMMAND}", file=sys.stderr)
        return 2
    # The code location refuses to load without these; the graph depends on neither (it
    # signs nothing, and the partitions' start is left out of the snapshot).
    os.environ.setdefault("KEYSTONE_JWT_SECRET", "asset-graph-snapshot-" + "x" * 40)
    os.environ.setdefault("KEYSTONE_PARTITIONS_START", "2025-01-01")
    SNAPSHOT.write_text(render(describe()))
    print(f"wrote {SNAPSHOT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
