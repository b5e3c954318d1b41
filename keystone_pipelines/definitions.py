"""The one Dagster Definitions object of the Keystone code location."""

from __future__ import annotations

import warnings

import dagster as dg

from keystone_api.preflight import load_settings
from keystone_pipelines.defs.episodes.assets import episode_qa, landed_recordings, review_gate
from keystone_pipelines.defs.episodes.jobs import (
    episode_qa_job,
    inspection_decision_job,
    review_gate_job,
)
from keystone_pipelines.defs.episodes.sensors import (
    inspection_decisions_sensor,
    landed_recordings_sensor,
)
from keystone_pipelines.defs.operations.assets import factory_health
from keystone_pipelines.defs.operations.jobs import factory_health_job, factory_health_schedule
from keystone_pipelines.defs.operations.sensors import (
    pipeline_failure_sensor,
    pipeline_recovery_sensor,
)
from keystone_pipelines.defs.reports.assets import daily_qa_report
from keystone_pipelines.defs.reports.jobs import daily_qa_report_job, daily_qa_report_schedule
from keystone_pipelines.defs.sync.assets import cloud_sync, sync_queue_depth_check
from keystone_pipelines.defs.sync.jobs import cloud_sync_job
from keystone_pipelines.defs.sync.sensors import cloud_sync_sensor
from keystone_pipelines.resources import keystone_from_env

# The code location refuses to load with a JWT key anyone could know, as every Keystone
# process does (it shares the API's settings and writes the same records).
load_settings(signs_tokens=True)

# Dagster 1.13 copies each sensor whose job takes resources from here with `owners=[]`, and
# that empty list trips the beta warning of the `owners` parameter we never pass: once per
# load of the code location, so in every run's log and (as the daemon reloads) every minute.
warnings.filterwarnings(
    "ignore",
    message="Parameter `owners` of initializer `SensorDefinition.__init__`",
    category=dg.BetaWarning,
)

defs = dg.Definitions(
    assets=[
        landed_recordings,
        episode_qa,
        review_gate,
        cloud_sync,
        factory_health,
        daily_qa_report,
    ],
    asset_checks=[sync_queue_depth_check],
    jobs=[
        episode_qa_job,
        review_gate_job,
        inspection_decision_job,
        cloud_sync_job,
        factory_health_job,
        daily_qa_report_job,
    ],
    schedules=[factory_health_schedule, daily_qa_report_schedule],
    sensors=[
        landed_recordings_sensor,
        inspection_decisions_sensor,
        cloud_sync_sensor,
        pipeline_failure_sensor,
        pipeline_recovery_sensor,
    ],
    resources={"keystone": keystone_from_env()},
)
