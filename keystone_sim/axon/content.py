"""The files a recording leaves on the robot: `<task_id>.mcap` and its sidecar
`<task_id>.json`, written with `keystone_sim.recording` (real MCAP, Axon's metadata)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from keystone_sim.recording import RecordingFacts, RecordingSpec, write_recording, write_sidecar

# Small but real: one low-resolution camera, joints and gripper; kilobytes per second.
SMALL = RecordingSpec(
    cameras=("head",),
    width=64,
    height=48,
    camera_rate_hz=10.0,
    joint_rate_hz=50.0,
    gripper_rate_hz=10.0,
    frame_pool=4,
)


@dataclass
class RecordedFiles:
    mcap: Path
    sidecar: Path
    size: int
    sha256: str
    message_count: int
    topics: list[str] = field(default_factory=list)


def write_task_recording(
    data_dir: Path,
    task_config: dict[str, Any],
    duration_s: float,
    start_ns: int,
    spec: RecordingSpec = SMALL,
    truncate_fraction: float | None = None,
) -> RecordedFiles:
    """Write the MCAP and then its sidecar (the sidecar is complete only once the MCAP is).

    truncate_fraction: keep only that share of the MCAP's bytes, as when the writer dies
    before closing the file; the sidecar then describes the bytes that are there (size,
    checksum) and reports the writer's failure, so the pair lands and QA must catch it."""
    task_id = task_config["task_id"]
    data_dir.mkdir(parents=True, exist_ok=True)
    mcap = data_dir / f"{task_id}.mcap"
    sidecar = data_dir / f"{task_id}.json"
    task = {
        k: task_config.get(k)
        for k in ("task_id", "scene", "factory", "order_id", "subscene", "skills")
        if task_config.get(k) is not None
    }
    task.update(
        {
            k: task_config.get(k)
            for k in ("data_collector_id", "operator_name")
            if task_config.get(k)
        }
    )
    task.setdefault("scene", "")
    task.setdefault("factory", "")
    device = {"device_id": task_config.get("device_id", ""), "hostname": "axon-emulator"}
    # keystone_sim.recording is shared and still growing: pass what its spec knows.
    known = {f.name for f in fields(RecordingSpec)}
    extra = {"task_id": task_id, "task": task, "device": device}
    spec = replace(
        spec,
        duration_s=max(duration_s, 0.5),
        start_ns=start_ns,
        **{k: v for k, v in extra.items() if k in known},
    )
    facts = write_recording(mcap, spec)
    health = None
    if truncate_fraction is not None:
        facts = _truncate(facts, truncate_fraction)
        health = {
            "state": "error",
            "writer_stall_suspected": False,
            "writer_partial_failures": 1,
            "writer_queue_overflows": 0,
            "error": "writer stopped before the file was closed",
        }
    write_sidecar(sidecar, facts, task=task, device=device, writer_health=health)
    return RecordedFiles(
        mcap, sidecar, facts.size, facts.sha256, facts.message_count, list(facts.topics)
    )


def _truncate(facts: RecordingFacts, fraction: float) -> RecordingFacts:
    keep = max(16, int(facts.size * min(max(fraction, 0.0), 1.0)))
    with facts.path.open("r+b") as f:
        f.truncate(keep)
    return replace(facts, size=keep, sha256=file_sha256(facts.path))


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def read_sidecar(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    return data if isinstance(data, dict) else {}
