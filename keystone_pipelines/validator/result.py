"""Validation results: plain dataclasses with `to_dict()` for JSON, the API and Dagster."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VALIDATOR_VERSION = "1.1.0"


@dataclass
class CheckResult:
    name: str
    passed: bool
    score: float  # 0..1; by construction >= 0.90 exactly when the check passed
    detail: str
    data: dict[str, Any] = field(default_factory=dict)  # machine-readable specifics

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "passed": self.passed,
            "score": round(self.score, 4),
            "detail": self.detail,
        }
        if self.data:
            out["data"] = self.data
        return out


@dataclass
class ValidationResult:
    path: str
    passed: bool
    score: float
    checks: list[CheckResult]
    tiers: list[str]  # "summary", "message_indexes" | "linear_scan", "frame_sample", "integrity"
    bytes_read: int
    file_size: int
    validator_version: str = VALIDATOR_VERSION
    formula_version: str = ""
    bytes_by_tier: dict[str, int] = field(default_factory=dict)
    message_count: int = 0
    start_ns: int | None = None
    end_ns: int | None = None
    topics: dict[str, dict[str, Any]] = field(default_factory=dict)
    axon: dict[str, dict[str, str]] = field(default_factory=dict)  # the axon.* metadata
    sha256: str | None = None  # computed by tier 4, when it ran
    findings: list[dict[str, str]] = field(default_factory=list)
    elapsed_s: float = 0.0
    # topic -> kept thumbnails (see validate(thumbnails=...)); pictures, not in to_dict().
    frames: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    @property
    def duration_s(self) -> float:
        if self.start_ns is None or self.end_ns is None:
            return 0.0
        return (self.end_ns - self.start_ns) / 1e9

    def check(self, name: str) -> CheckResult:
        return next(c for c in self.checks if c.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "passed": self.passed,
            "score": round(self.score, 4),
            "checks": [c.to_dict() for c in self.checks],
            "tiers": self.tiers,
            "bytes_read": self.bytes_read,
            "bytes_by_tier": self.bytes_by_tier,
            "file_size": self.file_size,
            "validator_version": self.validator_version,
            "formula_version": self.formula_version,
            "message_count": self.message_count,
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "duration_s": round(self.duration_s, 6),
            "topics": self.topics,
            "axon": self.axon,
            "sha256": self.sha256,
            "findings": self.findings,
            "elapsed_s": round(self.elapsed_s, 4),
        }
