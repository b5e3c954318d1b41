"""The `image_integrity` check: the fraction of sampled frames that decode (tier 3 takes
the sample, see sample.py), per camera topic, against the spec's tolerance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from keystone_pipelines.validator.result import CheckResult
from keystone_pipelines.validator.score import make_check
from keystone_pipelines.validator.spec import QaSpec


@dataclass
class FrameSample:
    topics: list[str] = field(default_factory=list)
    attempted: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[str, int, str]] = field(default_factory=list)  # topic, log_time, why
    chunks_read: int = 0
    chunks_refused: int = 0  # left closed: the decompression budget was spent
    bytes_read: int = 0
    # topic -> [{"log_time", "image" (small BGR array or None), "error"}], spread over the
    # recording: the inspector's contact sheet (only when thumbnails were asked for).
    frames: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def image_check(spec: QaSpec, sample: FrameSample | None, readable: bool) -> CheckResult:
    if not readable:
        return make_check("image_integrity", False, 0.0, "not assessed: file unreadable")
    if sample is None and spec.image_sample == 0:
        return make_check("image_integrity", True, 1.0, "frame sample disabled (image_sample=0)")
    sample = sample or FrameSample()
    absent = [t for t in (spec.image_topics or []) if not sample.attempted.get(t)]
    n = sum(sample.attempted.values())
    # Frames are judged on two threads and recorded as they finish: in time order, so the
    # same file reports the same failures first however the threads ran.
    failures = sorted(sample.failures, key=lambda f: (f[1], f[0]))
    failed = len(failures)
    data = {
        "sampled": n,
        "failed": failed,
        "per_topic": sample.attempted,
        "failures": [
            {"topic": t, "log_time": lt, "reason": r} for t, lt, r in failures[:10]
        ],
        "chunks_read": sample.chunks_read,
    }
    if sample.chunks_refused:
        data["chunks_refused"] = sample.chunks_refused
    if absent:
        return make_check(
            "image_integrity", False, 0.0, f"no frames to sample on {', '.join(absent)}", **data
        )
    if not n:
        return make_check("image_integrity", True, 1.0, "no image topics to sample", **data)
    frac = failed / n
    topics = len(sample.attempted)
    detail = f"{n - failed}/{n} frames decode on {topics} topics"
    if failed:
        t, _, why = failures[0]
        detail += f"; first failure {t}: {why}"
    tol = spec.image_failure_tolerance
    if frac <= tol:
        score = 1.0 - (0.1 * frac / tol if tol else 0.0)
        return make_check("image_integrity", True, score, detail, **data)
    return make_check("image_integrity", False, 0.9 * (1 - frac), detail, **data)
