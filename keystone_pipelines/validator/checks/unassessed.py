"""Checks that could not run in full because the decompression budget was spent
(reader/budget.py) answer "not assessed" with the reason, in the shape every check has:
failed, score 0 (so the recording goes to a person, never auto-approved), the reason in
`detail`, and `data["not_assessed"]`. What was read still counts: a check that already
failed on it keeps its verdict and gains the reason."""

from __future__ import annotations

from keystone_pipelines.validator.checks.images import FrameSample
from keystone_pipelines.validator.reader.budget import DecompressionBudget
from keystone_pipelines.validator.reader.model import MessageMap
from keystone_pipelines.validator.reader.stream import StreamResult
from keystone_pipelines.validator.result import CheckResult
from keystone_pipelines.validator.score import make_check

# What a linear scan's message map feeds: every check but the integrity pass's.
FROM_THE_SCAN = ("structure", "required_topics", "duration", "gaps", "image_integrity")


def unassessed_checks(
    mm: MessageMap | None,
    stream: StreamResult | None,
    sample: FrameSample | None,
) -> set[str]:
    """The checks whose input lies partly in chunks the budget left closed."""
    out: set[str] = set()
    if stream is not None and stream.chunks_refused:
        out.add("integrity")  # those chunks' CRCs were not verified
        if mm is not None and mm is stream.messages:
            out.update(FROM_THE_SCAN)  # their messages are missing from the timeline
    if sample is not None and sample.chunks_refused:
        out.add("image_integrity")
    return out


def not_assessed(check: CheckResult, reason: str) -> CheckResult:
    data = {**check.data, "not_assessed": reason}
    if not check.passed:
        return CheckResult(check.name, False, check.score, f"{check.detail}; {reason}", data)
    detail = f"not assessed: {reason}; from what was read: {check.detail}"
    return make_check(check.name, False, 0.0, detail, **data)


def apply_budget(
    checks: list[CheckResult],
    budget: DecompressionBudget,
    mm: MessageMap | None,
    stream: StreamResult | None,
    sample: FrameSample | None,
) -> list[CheckResult]:
    if not budget.exceeded:
        return checks
    names = unassessed_checks(mm, stream, sample)
    reason = budget.reason()
    return [not_assessed(c, reason) if c.name in names else c for c in checks]
