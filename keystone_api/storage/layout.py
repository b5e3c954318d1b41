"""Object keys of landed recordings, in both layouts, and how to tell them apart.

- Axon recorder: {factory_id}/{device_id}/{YYYY-MM-DD}/{task_id}.mcap + {task_id}.json
  (the sidecar is written last: its arrival means the pair is complete)
- specification: batches/{batch_id}/tasks/{task_id}/data.mcap + sidecar.json
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEG = r"[^/]+"
AXON = re.compile(
    rf"^(?P<factory>{_SEG})/(?P<device>{_SEG})/(?P<date>\d{{4}}-\d{{2}}-\d{{2}})/"
    rf"(?P<task>{_SEG})\.(?P<ext>mcap|json)$"
)
SPEC = re.compile(
    rf"^batches/(?P<batch>{_SEG})/tasks/(?P<task>{_SEG})/"
    rf"(?P<name>data\.mcap|sidecar\.json)$"
)


@dataclass(frozen=True)
class RecordingKey:
    layout: str  # "axon" | "spec"
    task_id: str
    kind: str  # "mcap" | "sidecar"
    factory_id: str | None = None
    device_id: str | None = None
    date: str | None = None
    batch_id: str | None = None

    @property
    def mcap_key(self) -> str:
        if self.layout == "axon":
            return f"{self.factory_id}/{self.device_id}/{self.date}/{self.task_id}.mcap"
        return f"batches/{self.batch_id}/tasks/{self.task_id}/data.mcap"

    @property
    def sidecar_key(self) -> str:
        if self.layout == "axon":
            return f"{self.factory_id}/{self.device_id}/{self.date}/{self.task_id}.json"
        return f"batches/{self.batch_id}/tasks/{self.task_id}/sidecar.json"


def parse_key(key: str) -> RecordingKey | None:
    """The recording a key belongs to, or None for any other object."""
    m = AXON.match(key)
    if m:
        return RecordingKey(
            "axon",
            m["task"],
            "mcap" if m["ext"] == "mcap" else "sidecar",
            factory_id=m["factory"],
            device_id=m["device"],
            date=m["date"],
        )
    m = SPEC.match(key)
    if m:
        return RecordingKey(
            "spec",
            m["task"],
            "mcap" if m["name"] == "data.mcap" else "sidecar",
            batch_id=m["batch"],
        )
    return None


def axon_keys(factory_id: str, device_id: str, date: str, task_id: str) -> RecordingKey:
    return RecordingKey(
        "axon", task_id, "mcap", factory_id=factory_id, device_id=device_id, date=date
    )


def spec_keys(batch_id: str, task_id: str) -> RecordingKey:
    return RecordingKey("spec", task_id, "mcap", batch_id=batch_id)


EVIDENCE_ROOT = "qa/"


def evidence_prefix(mcap_key: str) -> str:
    """Where the QA evidence pictures of a recording go: under QA's own prefix, mirroring
    the recording's key. Not beside the recording: that prefix is the robot's, whose key
    may write there, and QA's key may write nowhere else (storage/policies.py)."""
    return EVIDENCE_ROOT + mcap_key.rsplit(".", 1)[0] + "/"
