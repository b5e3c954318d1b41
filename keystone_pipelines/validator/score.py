"""The QA score, formula version 2.

Each check reports a score s in [0, 1] with one convention: s >= 0.90 exactly when the
check passed (a failing check is clamped below 0.90, a passing one above). Then

    mean  = sum(w_c * s_c) / sum(w_c)                  over the judged checks
    score = min(mean, min(s_c for each failed critical check c))

A check the spec gives nothing to judge by (no required topics, no expected rates...) says
so (`not_judged`, see `unjudged()`) and is left out of the mean: it neither passes nor
fails the recording (version 2; version 1 counted such checks as passed at 1.0).

and the recording passes (auto-approves) when score >= 0.90; anything less goes to an
inspector. Hence a perfect recording scores 1.0, any failed critical check (all are
critical unless the spec's `critical_checks` says otherwise) puts the score below 0.90,
and among passing recordings the weights decide how much each imperfection (a warning, a
few undecodable frames within tolerance) costs. Weights default to DEFAULT_WEIGHTS and
are overridden per check by the spec's `weights`.

A change to this formula or to how checks compute their scores bumps FORMULA_VERSION.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from keystone_pipelines.validator.result import CheckResult
from keystone_pipelines.validator.spec import CHECK_NAMES

FORMULA_VERSION = "2"
PASS_THRESHOLD = 0.90
DEFAULT_WEIGHTS: dict[str, float] = {
    "structure": 0.20,
    "required_topics": 0.15,
    "duration": 0.10,
    "gaps": 0.10,
    "rates": 0.10,
    "timestamps": 0.05,
    "image_integrity": 0.15,
    "joint_states": 0.05,
    "integrity": 0.10,
}
_FAIL_CEILING = 0.899


def make_check(name: str, passed: bool, score: float, detail: str, **data: object) -> CheckResult:
    """A CheckResult whose score honours the convention (>= 0.90 iff passed)."""
    score = max(0.0, min(1.0, float(score)))
    score = max(PASS_THRESHOLD, score) if passed else min(_FAIL_CEILING, score)
    return CheckResult(name, passed, score, detail, dict(data))


def unjudged(name: str, reason: str, **data: object) -> CheckResult:
    """A check that cannot be judged (the spec sets nothing to judge by): it says why,
    passes nothing and fails nothing, and the score leaves it out."""
    return CheckResult(name, True, 1.0, f"not judged: {reason}", {**data, "not_judged": reason})


def is_judged(check: CheckResult) -> bool:
    return not check.data.get("not_judged")


def overall_score(
    checks: Iterable[CheckResult],
    weights: Mapping[str, float] | None = None,
    critical: Iterable[str] | None = None,
) -> float:
    checks = [c for c in checks if is_judged(c)]
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    critical_set = set(CHECK_NAMES if critical is None else critical)
    total = sum(w.get(c.name, 0.0) for c in checks)
    mean = sum(w.get(c.name, 0.0) * c.score for c in checks) / total if total else 1.0
    failed = [c.score for c in checks if not c.passed and c.name in critical_set]
    return round(min([mean, *failed]), 6)


def passes(score: float) -> bool:
    return score >= PASS_THRESHOLD
