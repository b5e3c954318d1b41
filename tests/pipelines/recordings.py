"""Real recordings (keystone_sim) uploaded the way Axon's transfer daemon does, for tasks
that went through the collector flow over HTTP."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from keystone_api.settings import get_settings
from keystone_api.storage.layout import RecordingKey, axon_keys, spec_keys
from keystone_api.storage.s3 import ensure_bucket
from keystone_sim.recording import RecordingSpec, sidecar_dict, write_recording
from tests.api.flows import callback, finish_body, start_body, take_task
from tests.api.world import World, ok

# A small recording (a few hundred KB): the QA spec of tests/api/world.py requires
# /joint_states and /camera_head/... for at least 1 s with gaps under 0.5 s.
SMALL = {
    "duration_s": 3.0,
    "width": 160,
    "height": 120,
    "camera_rate_hz": 10.0,
    "joint_rate_hz": 100.0,
    "frame_pool": 4,
    "chunk_size": 256 * 1024,
}


def record_and_upload(
    w: World,
    s3: Any,
    tmp: Path,
    station: int = 0,
    layout: str = "axon",
    callbacks: bool = True,
    day: str | None = None,
    **defects: Any,
) -> tuple[dict[str, Any], RecordingKey]:
    """Collector flow + callbacks, then a real MCAP + sidecar in the bucket (sidecar last);
    `day` keys an Axon-layout upload under another date than today's."""
    _, task, cfg = take_task(w, station)
    spec = RecordingSpec(**{**SMALL, **defects, "task_id": task["id"]})
    facts = write_recording(tmp / f"{task['id']}.mcap", spec)
    if callbacks:
        ok(callback(w, "start", start_body(cfg), cfg["user_token"]))
        ok(
            callback(
                w,
                "finish",
                finish_body(cfg, size=facts.size, count=facts.message_count),
                cfg["user_token"],
            )
        )
    if layout == "axon":
        day = day or datetime.now(UTC).strftime("%Y-%m-%d")
        key = axon_keys(w.factory_id, cfg["device_id"], day, task["id"])
    else:
        key = spec_keys(task["batch_id"], task["id"])
    upload(
        s3,
        get_settings().bucket_for(w.factory_id),
        key,
        facts.path,
        sidecar_dict(
            facts, task={"task_id": task["id"], "scene": cfg["scene"], "factory": cfg["factory"]}
        ),
    )
    return task, key


def upload(s3: Any, bucket: str, key: RecordingKey, path: Path, sidecar: dict[str, Any]) -> None:
    ensure_bucket(s3, bucket)
    data = path.read_bytes()
    s3.put_object(
        Bucket=bucket,
        Key=key.mcap_key,
        Body=data,
        Metadata={"checksum-sha256": hashlib.sha256(data).hexdigest()},
    )
    s3.put_object(
        Bucket=bucket,
        Key=key.sidecar_key,
        Body=json.dumps(sidecar).encode(),
        ContentType="application/json",
    )
