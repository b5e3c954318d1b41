"""`rates` and `timestamps`: what the message map (tier 2, or a scan) says about each
topic's rhythm, at no extra read.

rates: each topic the spec gives an expected rate must keep it over the whole recording
and in every window of it (a camera that drops from 30 to 15 Hz half-way fails, with the
span of the drop, which the evidence timeline draws).
timestamps: within a topic, log times never go back in the order the messages were
written (a clock jump, a recorder that re-stamped a queue). The joint-state sample adds
its header stamps (checks/joints.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from keystone_pipelines.validator.reader.model import FileInfo, MessageMap
from keystone_pipelines.validator.result import CheckResult
from keystone_pipelines.validator.score import make_check, unjudged
from keystone_pipelines.validator.spec import QaSpec

NOT_ASSESSED = "not assessed: no message could be read"
MIN_WINDOW_S = 1.0
WINDOW_PERIODS = 10  # a window holds at least this many expected messages


def written_times(info: FileInfo, mm: MessageMap) -> dict[str, np.ndarray]:
    """Topic -> log times in the order the messages sit in the file."""
    keyed: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    for chunk in mm.chunks:
        for cid, arr in chunk.by_channel.items():
            if len(arr):
                outer = np.full(len(arr), chunk.offset, np.uint64)
                keyed.setdefault(info.topic_of(cid), []).append((outer, arr[:, 1], arr[:, 0]))
    for cid, rows in mm.loose.items():
        if len(rows):
            zero = np.zeros(len(rows), np.uint64)
            keyed.setdefault(info.topic_of(cid), []).append((rows[:, 1], zero, rows[:, 0]))
    out = {}
    for topic, parts in keyed.items():
        outer, inner, times = (np.concatenate([p[i] for p in parts]) for i in range(3))
        out[topic] = times[np.lexsort((inner, outer))].astype(np.int64)
    return out


def rates_check(
    spec: QaSpec, times: dict[str, np.ndarray] | None, span: tuple[int, int] | None
) -> CheckResult:
    if not spec.expected_rate_hz:
        return unjudged("rates", "the spec sets no expected rates")
    if times is None or span is None:
        return make_check("rates", False, 0.0, NOT_ASSESSED)
    tol = spec.rate_tolerance
    rows: list[dict[str, Any]] = []
    drops: list[dict[str, Any]] = []
    worst = 1.0
    for topic, expected in sorted(spec.expected_rate_hz.items()):
        t = np.sort(times.get(topic, np.zeros(0, np.int64)))
        seconds = max((span[1] - span[0]) / 1e9, 1e-9)
        rate = len(t) / seconds if len(t) > 1 else 0.0
        row = {"topic": topic, "rate_hz": round(rate, 3), "expected_hz": expected}
        rows.append(row)
        topic_drops = _drops(t, span, expected, tol)
        drops += [{"topic": topic, **d} for d in topic_drops]
        ratio = min([rate / expected, *(d["rate_hz"] / expected for d in topic_drops)])
        if rate > expected * (1 + tol):
            ratio = min(ratio, expected / rate)
        worst = min(worst, ratio)
        row["ok"] = not topic_drops and (1 - tol) <= rate / expected <= (1 + tol)
    bad = [r for r in rows if not r["ok"]]
    data = {"per_topic": rows, "drops": drops[:20], "tolerance": tol}
    if not bad:
        return make_check("rates", True, 1.0, f"{len(rows)} topics at their expected rates", **data)
    parts = []
    for r in bad[:3]:
        d = next((d for d in drops if d["topic"] == r["topic"]), None)
        where = ""
        if d:
            where = f", {d['rate_hz']:g} Hz from {d['at_s']:.1f} s for {d['length_s']:.1f} s"
        parts.append(f"{r['topic']} {r['rate_hz']:g} Hz (expected {r['expected_hz']:g}){where}")
    text = f"{len(bad)} topics off their rate: " + "; ".join(parts)
    return make_check("rates", False, 0.9 * worst, text, **data)


def _drops(
    t: np.ndarray, span: tuple[int, int], expected: float, tol: float
) -> list[dict[str, Any]]:
    """Runs of whole windows whose rate is below expected * (1 - tol), merged."""
    window_ns = int(max(MIN_WINDOW_S, WINDOW_PERIODS / expected) * 1e9)
    n = int((span[1] - span[0]) // window_ns)
    if n < 1:
        return []
    edges = span[0] + np.arange(n + 1, dtype=np.int64) * window_ns
    counts = np.diff(np.searchsorted(t, edges))
    rates = counts / (window_ns / 1e9)
    low = rates < expected * (1 - tol)
    out: list[dict[str, Any]] = []
    i = 0
    while i < n:
        if not low[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and low[j + 1]:
            j += 1
        run = rates[i : j + 1]
        out.append(
            {
                "at_s": round((edges[i] - span[0]) / 1e9, 3),
                "length_s": round((edges[j + 1] - edges[i]) / 1e9, 3),
                "rate_hz": round(float(run.mean()), 3),
            }
        )
        i = j + 1
    return out


def timestamps_check(
    times: dict[str, np.ndarray] | None, stamp_backsteps: list[dict[str, Any]] | None = None
) -> CheckResult:
    """Log times per topic in file order, plus backward header stamps found by a sample."""
    if times is None:
        return make_check("timestamps", False, 0.0, NOT_ASSESSED)
    back: list[dict[str, Any]] = []
    for topic, t in sorted(times.items()):
        steps = np.flatnonzero(np.diff(t) < 0)
        if len(steps):
            i = int(steps[0])
            back.append(
                {
                    "topic": topic,
                    "kind": "log_time",
                    "count": int(len(steps)),
                    "at_ns": int(t[i]),
                    "back_s": round(float(t[i] - t[i + 1]) / 1e9, 6),
                }
            )
    back += stamp_backsteps or []
    data: dict[str, Any] = {"backwards": back[:20], "topics": len(times)}
    if not back:
        return make_check(
            "timestamps", True, 1.0, f"time never goes back on {len(times)} topics", **data
        )
    text = ", ".join(f"{b['topic']} {b['kind']} back {b['back_s']:.3f} s" for b in back[:3])
    share = len({b["topic"] for b in back}) / max(1, len(times))
    return make_check(
        "timestamps",
        False,
        0.9 * (1 - share),
        f"time goes back on {len({b['topic'] for b in back})} topics: {text}",
        **data,
    )
