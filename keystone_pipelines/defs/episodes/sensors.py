"""Sensors: find landed recordings and ask for QA runs; react to inspectors' decisions."""

# No `from __future__ import annotations`: Dagster reads these signatures' real types.
import json
from collections.abc import Callable
from datetime import datetime

import dagster as dg

from keystone_api.db.base import utcnow
from keystone_api.episodes.inspection import decisions_after
from keystone_pipelines.defs.episodes.empty_hours import (
    empty_hour_events,
    hours_to_look_at,
    next_hour_after,
)
from keystone_pipelines.defs.episodes.jobs import episode_qa_job, review_gate_job
from keystone_pipelines.defs.episodes.partitions import has_partition, hour_key
from keystone_pipelines.defs.run_states import WAITING_TO_START
from keystone_pipelines.landing.discovery import (
    expected_candidates,
    factory_buckets,
    probe,
    sweep_page,
    unregistered,
)
from keystone_pipelines.landing.register import register_candidates
from keystone_pipelines.qa.episode_claims import claimable_episodes
from keystone_pipelines.resources import KeystoneResource

# Registrations per tick; more wait for the next tick (a tick must end well within its
# time limit whatever arrives at once).
MAX_REGISTRATIONS_PER_TICK = 400


def qa_run_requests(
    keystone: KeystoneResource,
    instance: dg.DagsterInstance,
    warn: Callable[[str], None] = lambda _: None,
) -> list[dg.RunRequest]:
    """One run per hour that has claimable pending episodes and no run waiting to start.

    A run costs seconds of CPU whatever it assesses, so a young, small batch waits
    (qa_min_batch / qa_max_wait_s) for the next tick. The run key names the hour and the
    state of its pending work (newest episode, how many, how many claim attempts so far): a
    retried tick asks for nothing new, while a new landing or an expired claim (a crashed
    run) asks for a new run."""
    now = utcnow()
    with keystone.sessions()() as session:
        rows = claimable_episodes(session, now)
    hours: dict[str, list[tuple[str, float, int]]] = {}
    for episode_id, landed_at, created_at, attempts in rows:
        age = (now - created_at).total_seconds()
        hours.setdefault(hour_key(landed_at), []).append((episode_id, age, attempts))
    early = sorted(h for h in hours if not has_partition(h))
    if early:
        count = sum(len(hours.pop(h)) for h in early)
        warn(
            f"{count} episodes landed before KEYSTONE_PARTITIONS_START (hours {early[0]} .. "
            f"{early[-1]}): they have no partition to be assessed in; set it earlier"
        )
    requests = []
    for hour, items in sorted(hours.items()):
        oldest = max(age for _, age, _ in items)
        if len(items) < keystone.qa_min_batch and oldest < keystone.qa_max_wait_s:
            continue
        waiting = instance.get_runs(
            filters=dg.RunsFilter(
                job_name=episode_qa_job.name,
                statuses=WAITING_TO_START,
                tags={"dagster/partition": hour},
            ),
            limit=1,
        )
        if waiting:
            continue
        newest = max(i for i, _, _ in items)
        attempts = sum(a for _, _, a in items)
        requests.append(
            dg.RunRequest(
                run_key=f"qa:{hour}:{newest}:{len(items)}:{attempts}",
                partition_key=hour,
                tags={"keystone/episodes": str(len(items))},
            )
        )
    return requests


WARNED_KEYS = 200


@dg.sensor(
    job=episode_qa_job,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Finds recordings landed in edge-{factory_id} (both layouts), verifies "
    "and registers them, and asks for one QA run per hour with new work; materializes the "
    "hours in which nothing landed as empty.",
)
def landed_recordings_sensor(
    context: dg.SensorEvaluationContext, keystone: KeystoneResource
) -> dg.SensorResult:
    cursor = json.loads(context.cursor) if context.cursor else {}
    sessions, s3, settings = keystone.sessions(), keystone.s3(), keystone.settings()
    with sessions() as session:
        expected = expected_candidates(session, settings)
        buckets = factory_buckets(session, settings)
    found = probe(s3, expected)
    swept, sweep_cursor = sweep_page(s3, buckets, cursor.get("sweep", {}))
    with sessions() as session:
        todo = unregistered(session, found + swept)
    report = register_candidates(sessions, s3, todo[:MAX_REGISTRATIONS_PER_TICK])
    # A refused pair is found again every tick until someone removes or fixes it: warn once
    # (the last WARNED_KEYS refusals are remembered in the cursor), not every 15 seconds.
    warned = list(cursor.get("warned", []))
    fresh = [(key, reason) for key, reason in report.rejected if key not in set(warned)]
    for key, reason in fresh[:20]:
        context.log.warning(f"not registered: {key}: {reason}")
    warned = (warned + [key for key, _ in fresh])[-WARNED_KEYS:]
    if report.created:
        context.log.info(f"registered {len(report.created)} episodes")
    requests = qa_run_requests(keystone, context.instance, context.log.warning)
    hours = hours_to_look_at(cursor.get("empty_from"), utcnow())
    empty = empty_hour_events(keystone, hours, context.instance)
    new_cursor = json.dumps(
        {
            "sweep": sweep_cursor,
            "empty_from": next_hour_after(hours, cursor.get("empty_from")),
            "warned": warned,
        }
    )
    if not requests:
        return dg.SensorResult(
            skip_reason="no recordings waiting for QA", cursor=new_cursor, asset_events=empty
        )
    return dg.SensorResult(run_requests=requests, cursor=new_cursor, asset_events=empty)


@dg.sensor(
    job=review_gate_job,
    minimum_interval_seconds=20,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Re-materializes the review gate of the hours inspectors decided on.",
)
def inspection_decisions_sensor(
    context: dg.SensorEvaluationContext, keystone: KeystoneResource
) -> dg.SensorResult:
    cursor = json.loads(context.cursor) if context.cursor else {}
    after = (datetime.fromisoformat(cursor["at"]), cursor.get("id", "")) if "at" in cursor else None
    with keystone.sessions()() as session:
        rows = decisions_after(session, after)
    if not rows:
        return dg.SensorResult(skip_reason="no new inspection decisions", cursor=context.cursor)
    last_id, last_at, _ = rows[-1]
    # An hour before KEYSTONE_PARTITIONS_START has no review gate to re-materialize.
    hours = sorted({hour_key(at) for _, _, at in rows if has_partition(hour_key(at))})
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=f"review:{hour}:{last_id}", partition_key=hour) for hour in hours
        ],
        cursor=json.dumps({"at": last_at.isoformat(), "id": last_id}),
    )
