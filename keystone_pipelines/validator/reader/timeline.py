"""Per-topic counts, first/last log times and largest gaps, from the message map."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keystone_pipelines.validator.reader.model import FileInfo, MessageMap

TOP_GAPS = 5


@dataclass
class TopicStats:
    topic: str
    message_type: str
    count: int = 0
    first_ns: int | None = None
    last_ns: int | None = None
    max_gap_ns: int = 0
    gaps: list[tuple[int, int]] = field(
        default_factory=list
    )  # (start ns, length ns), largest first

    @property
    def rate_hz(self) -> float:
        if self.count < 2 or self.first_ns is None or self.last_ns is None:
            return 0.0
        span = self.last_ns - self.first_ns
        return (self.count - 1) * 1e9 / span if span else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_type": self.message_type,
            "count": self.count,
            "first_ns": self.first_ns,
            "last_ns": self.last_ns,
            "rate_hz": round(self.rate_hz, 3),
            "max_gap_s": round(self.max_gap_ns / 1e9, 6),
        }


def topic_stats(info: FileInfo, mm: MessageMap | None) -> dict[str, TopicStats]:
    """Every topic known from channels; counts and times from the message map."""
    out: dict[str, TopicStats] = {}
    for cid, ch in info.channels.items():
        out.setdefault(ch.topic, TopicStats(ch.topic, info.schema_name(cid)))
    if mm is None:
        return out
    per_channel: dict[int, list[np.ndarray]] = {}
    for chunk in mm.chunks:
        for cid, arr in chunk.by_channel.items():
            per_channel.setdefault(cid, []).append(arr[:, 0])
    for cid, arr in mm.loose.items():
        per_channel.setdefault(cid, []).append(arr[:, 0])
    per_topic: dict[str, list[np.ndarray]] = {}
    for cid, parts in per_channel.items():
        topic = info.topic_of(cid)
        out.setdefault(topic, TopicStats(topic, info.schema_name(cid)))
        per_topic.setdefault(topic, []).extend(parts)
    for topic, parts in per_topic.items():
        _fill(out[topic], np.sort(np.concatenate(parts)))
    return out


def _fill(stats: TopicStats, times: np.ndarray) -> None:
    stats.count = int(len(times))
    if not len(times):
        return
    stats.first_ns, stats.last_ns = int(times[0]), int(times[-1])
    if len(times) < 2:
        return
    diffs = np.diff(times)
    k = min(TOP_GAPS, len(diffs))
    top = np.argpartition(diffs, len(diffs) - k)[-k:]
    top = top[np.argsort(diffs[top])[::-1]]
    stats.gaps = [(int(times[i]), int(diffs[i])) for i in top]
    stats.max_gap_ns = stats.gaps[0][1]


def time_span(stats: dict[str, TopicStats]) -> tuple[int, int] | None:
    firsts = [s.first_ns for s in stats.values() if s.first_ns is not None]
    lasts = [s.last_ns for s in stats.values() if s.last_ns is not None]
    if not firsts or not lasts:
        return None
    return min(firsts), max(lasts)
