"""Put a recording pair into the object store the way Axon's transfer daemon does."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from keystone_api.storage.layout import RecordingKey
from keystone_api.storage.s3 import ensure_bucket


def sidecar_for(task_id: str, data: bytes, **recording: Any) -> dict[str, Any]:
    return {
        "version": "1.0",
        "mcap_file": f"{task_id}.mcap",
        "task": {"task_id": task_id, "scene": "Kitchen", "factory": "F"},
        "device": {"device_id": "dev", "hostname": "robot", "ros_distro": "humble"},
        "recording": {
            "recorder_version": "0.4.0",
            "recording_started_at": "2026-11-27T08:00:00.000Z",
            "recording_finished_at": "2026-11-27T08:00:30.000Z",
            "duration_sec": 30.0,
            "message_count": 100,
            "file_size_bytes": len(data),
            "topics_recorded": ["/joint_states"],
            "checksum_sha256": hashlib.sha256(data).hexdigest(),
            **recording,
        },
        "topics_summary": [],
    }


def put_pair(
    s3: Any,
    bucket: str,
    key: RecordingKey,
    data: bytes,
    sidecar: dict[str, Any] | None = None,
    checksum: str | None = None,
) -> dict[str, Any]:
    """Upload MCAP then sidecar (last), the MCAP with x-amz-meta-checksum-sha256."""
    ensure_bucket(s3, bucket)
    sidecar = sidecar if sidecar is not None else sidecar_for(key.task_id, data)
    s3.put_object(
        Bucket=bucket,
        Key=key.mcap_key,
        Body=data,
        ContentType="application/octet-stream",
        Metadata={"checksum-sha256": checksum or hashlib.sha256(data).hexdigest()},
    )
    s3.put_object(
        Bucket=bucket,
        Key=key.sidecar_key,
        Body=json.dumps(sidecar).encode(),
        ContentType="application/json",
    )
    return sidecar
