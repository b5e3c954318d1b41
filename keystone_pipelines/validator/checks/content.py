"""`required_topics`, `duration` and `gaps`: what the timeline says against the spec."""

from __future__ import annotations

from keystone_pipelines.validator.reader.timeline import TopicStats, time_span
from keystone_pipelines.validator.result import CheckResult
from keystone_pipelines.validator.score import make_check, unjudged
from keystone_pipelines.validator.spec import QaSpec

NOT_ASSESSED = "not assessed: no message could be read"


def required_topics_check(
    spec: QaSpec, stats: dict[str, TopicStats], readable: bool
) -> CheckResult:
    required = spec.required_topics
    if not readable:
        return make_check("required_topics", False, 0.0, NOT_ASSESSED, missing=required)
    if not required:
        return unjudged("required_topics", "the spec names no required topics")
    missing = [t for t in required if t not in stats or stats[t].count == 0]
    if not missing:
        return make_check(
            "required_topics", True, 1.0, f"all {len(required)} required topics have messages"
        )
    parts = [f"{t} ({'no messages' if t in stats else 'absent'})" for t in missing]
    present = 1 - len(missing) / len(required)
    return make_check(
        "required_topics",
        False,
        0.9 * present,
        f"missing {len(missing)} of {len(required)}: " + ", ".join(parts),
        missing=missing,
    )


def duration_check(spec: QaSpec, stats: dict[str, TopicStats], readable: bool) -> CheckResult:
    span = time_span(stats)
    if not readable or span is None:
        return make_check("duration", False, 0.0, NOT_ASSESSED if not readable else "no messages")
    seconds = (span[1] - span[0]) / 1e9
    data = {"duration_s": round(seconds, 6), "min_duration_s": spec.min_duration_s}
    if spec.min_duration_s <= 0:
        return unjudged("duration", f"the spec sets no minimum ({seconds:.3f} s long)", **data)
    if seconds >= spec.min_duration_s:
        return make_check(
            "duration", True, 1.0, f"{seconds:.3f} s (minimum {spec.min_duration_s:g} s)", **data
        )
    return make_check(
        "duration",
        False,
        0.9 * seconds / spec.min_duration_s,
        f"too short: {seconds:.3f} s, minimum {spec.min_duration_s:g} s",
        **data,
    )


def gaps_check(
    spec: QaSpec, stats: dict[str, TopicStats], readable: bool, partial: bool = False
) -> CheckResult:
    if not readable:
        return make_check("gaps", False, 0.0, NOT_ASSESSED)
    span = time_span(stats)
    t0 = span[0] if span else 0
    worst = []  # (ratio or gap, topic, gap start ns, gap ns, limit)
    for topic, s in stats.items():
        if not s.gaps:
            continue
        limit = spec.gap_limit_s(topic)
        for start, gap in s.gaps:
            ratio = gap / 1e9 / limit if limit else 0.0
            worst.append((ratio, gap, topic, start, limit))
    worst.sort(key=lambda w: (w[0], w[1]), reverse=True)
    violations = [w for w in worst if w[0] > 1]
    rows = [
        {
            "topic": topic,
            "gap_s": round(gap / 1e9, 6),
            "at_s": round((start - t0) / 1e9, 6),
            "at_ns": start,
            "limit_s": limit,
        }
        for _, gap, topic, start, limit in (violations or worst)[:5]
    ]
    data = {
        "worst": rows,
        "max_gap_s_by_topic": {t: round(s.max_gap_ns / 1e9, 6) for t, s in stats.items()},
    }
    note = " (readable part only)" if partial else ""
    if violations:
        text = ", ".join(f"{r['topic']} {r['gap_s']:.3f} s at {r['at_s']:.2f} s" for r in rows[:3])
        return make_check(
            "gaps",
            False,
            0.9 / violations[0][0],
            f"{len(violations)} gaps over the limit{note}: {text}",
            **data,
        )
    if not worst:
        return make_check("gaps", True, 1.0, "no topic has two messages to measure", **data)
    top = rows[0]
    largest = f"largest {top['topic']} {top['gap_s']:.3f} s"
    if all(w[4] is None for w in worst):
        return unjudged("gaps", f"the spec sets no gap limit{note}; {largest}", **data)
    return make_check("gaps", True, 1.0, f"within limits{note}; {largest}", **data)
