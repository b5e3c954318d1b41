"""One evaluation of a sensor of the code location, as the daemon would make it."""

from __future__ import annotations

from typing import Any

import dagster as dg


def evaluate_sensor(sensor: Any, instance: Any, keystone: Any, cursor: str | None = None) -> Any:
    from keystone_pipelines.definitions import defs

    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"keystone": keystone}, definitions=defs
    )
    return sensor(context)
