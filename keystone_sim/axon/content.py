"""The files a recording leaves on the robot: `<task_id>.mcap`, its sidecar `<task_id>.json`
and the marker `<task_id>.mcap.done`, written with `keystone_sim.recording` (real MCAP,
Axon's metadata) in the shape the real axon-recorder 0.4.0 gives them (axon-protocol.md
section 7, and its files in tests/data/axon-real):

- messages written per topic in batches (each topic's worker flushes every 5 s, the
  templates' flush_interval_ms), so chunks overlap in time and most messages are out of
  log-time order in the file;
- schemas with their message definitions only when the recorder config sets
  `recording.schema_search_paths`, else with empty data;
- the sidecar: the same facts as the axon.* metadata records, keys sorted, indented by two,
  `frequency_hz` 0.0 for every topic, `ros_distro` empty, no `writer_health`;
- `file_size_bytes` zero-padded to 20 digits in the metadata, a number in the sidecar.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from keystone_sim.recording import RecordingFacts, RecordingSpec, file_sha256, write_recording

VERSION = "0.4.0"  # what the real recorder these files copy reports
HOSTNAME = "axon-emulator"
FLUSH_S = 5.0  # each topic worker's flush interval (the templates' flush_interval_ms)

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
# The task config fields the recorder keeps in the sidecar's `task`.
TASK_FIELDS = (
    "task_id",
    "scene",
    "factory",
    "order_id",
    "subscene",
    "skills",
    "data_collector_id",
    "operator_name",
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
    schema_search_paths: list[str] | None = None,
) -> RecordedFiles:
    """Write the MCAP, then its sidecar (complete only once the MCAP is), then the marker.

    schema_search_paths: the recorder config's; the emulator knows the definitions of the
    types it records, so any list stands for directories that hold them.
    truncate_fraction: keep only that share of the MCAP's bytes, as when the writer dies
    before closing the file; the sidecar then describes the bytes that are there (size,
    checksum) and reports the writer's failure, so the pair lands and QA must catch it."""
    task_id = task_config["task_id"]
    data_dir.mkdir(parents=True, exist_ok=True)
    mcap = data_dir / f"{task_id}.mcap"
    sidecar = data_dir / f"{task_id}.json"
    task = {k: task_config[k] for k in TASK_FIELDS if task_config.get(k) not in (None, "")}
    task.setdefault("scene", "")
    task.setdefault("factory", "")
    # ROS_DISTRO is not in the recorder's environment when it runs as a service.
    device = {"device_id": task_config.get("device_id", ""), "hostname": HOSTNAME, "ros_distro": ""}
    # keystone_sim.recording is shared and still growing: pass what its spec knows.
    known = {f.name for f in fields(RecordingSpec)}
    extra = {
        "task_id": task_id,
        "task": task,
        "device": device,
        "write_batch_s": FLUSH_S,
        "schema_text": bool(schema_search_paths),
        "recorder_version": VERSION,
        "measured_frequency": False,
    }
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
    doc = sidecar_document(facts, health)
    sidecar.write_text(json.dumps(doc, indent=2, sort_keys=True))
    mcap.with_name(mcap.name + ".done").write_text("done\n")
    return RecordedFiles(
        mcap, sidecar, facts.size, facts.sha256, facts.message_count, sorted(facts.topics)
    )


def sidecar_document(
    facts: RecordingFacts, writer_health: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The sidecar the recorder writes: its axon.* metadata records with their types, the
    file's real size and its SHA-256 (`writer_health` only when the writer failed)."""
    meta = facts.metadata
    recording = meta["axon.recording"]
    doc: dict[str, Any] = {
        "version": meta["axon.sidecar"]["version"],
        "mcap_file": meta["axon.sidecar"]["mcap_file"],
        "task": facts.task,
        "device": facts.device,
        "recording": {
            "recorder_version": recording["recorder_version"],
            "recording_started_at": recording["recording_started_at"],
            "recording_finished_at": recording["recording_finished_at"],
            "duration_sec": float(recording["duration_sec"]),
            "message_count": int(recording["message_count"]),
            "file_size_bytes": facts.size,
            "topics_recorded": json.loads(recording["topics_recorded"]),
            "checksum_sha256": facts.sha256,
        },
        "topics_summary": json.loads(meta["axon.topics"]["topics_summary"]),
    }
    if writer_health is not None:
        doc["writer_health"] = writer_health
    return doc


def _truncate(facts: RecordingFacts, fraction: float) -> RecordingFacts:
    keep = max(16, int(facts.size * min(max(fraction, 0.0), 1.0)))
    with facts.path.open("r+b") as f:
        f.truncate(keep)
    return replace(facts, size=keep, sha256=file_sha256(facts.path))


def read_sidecar(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    return data if isinstance(data, dict) else {}
