"""The files the real axon-recorder left (tests/data/axon-real, see its README), and one way
to measure a recorder's files, used on the real ones and on the emulator's alike."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REAL_DIR = Path(__file__).resolve().parents[1] / "data" / "axon-real"
# axon's mock plugin: ASCII payloads, not CDR. Its image frames cannot decode.
MOCK = REAL_DIR / "01a2454e-4f04-720e-bbc5-c52a19a8e0b2.mcap"
# A plugin publishing valid CDR (JointState, CompressedImage with a real JPEG).
CDR = REAL_DIR / "01a2454e-4f0c-722b-bd15-7fdd2f29d085.mcap"
TOPICS = [
    "/joint_states",
    "/gripper/state",
    "/camera_left/image_raw/compressed",
    "/camera_right/image_raw/compressed",
    "/camera_head/image_raw/compressed",
]


def sidecar_of(mcap: Path) -> Path:
    return mcap.with_suffix(".json")


@dataclass(frozen=True)
class Layout:
    """How a recording's messages and chunks lie in the file."""

    messages: int
    # Written after a message logged later than them: the real recorder's per-topic
    # workers flush in batches, so most messages are out of log-time order in the file.
    out_of_order: int
    topic_backwards: int  # out of order within one topic (never, for a recorder)
    chunks: int
    overlapping_chunks: int  # chunks (in file order) whose time range overlaps the last's
    empty_schemas: tuple[str, ...]
    metadata: dict[str, dict[str, str]]


def layout(path: Path) -> Layout:
    from mcap.reader import make_reader

    with path.open("rb") as f:
        reader = make_reader(f)
        summary = reader.get_summary()
        assert summary is not None
        latest, last, out_of_order, backwards, count = 0, {}, 0, 0, 0
        for _, channel, message in reader.iter_messages(log_time_order=False):
            count += 1
            out_of_order += message.log_time < latest
            backwards += message.log_time < last.get(channel.topic, 0)
            latest = max(latest, message.log_time)
            last[channel.topic] = message.log_time
        metadata = {m.name: dict(m.metadata) for m in reader.iter_metadata()}
    chunks = sorted(summary.chunk_indexes, key=lambda c: c.chunk_start_offset)
    pairs = zip(chunks, chunks[1:], strict=False)
    overlaps = sum(1 for a, b in pairs if b.message_start_time < a.message_end_time)
    empty = tuple(sorted(s.name for s in summary.schemas.values() if not s.data))
    return Layout(count, out_of_order, backwards, len(chunks), overlaps, empty, metadata)


def shape(value: Any, at: str = "") -> dict[str, str]:
    """Every key path of a JSON document with the type of its value (list items as []):
    two sidecars of the same shape give the same map."""
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key, item in value.items():
            out.update(shape(item, f"{at}.{key}" if at else key))
        return out
    if isinstance(value, list):
        out = {at: "list"}
        for item in value:
            out.update(shape(item, f"{at}[]"))
        return out
    return {at: type(value).__name__}


def real_sidecar(mcap: Path) -> dict[str, Any]:
    data = json.loads(sidecar_of(mcap).read_text())
    assert isinstance(data, dict)
    return data
