"""The QA spec: what a recording must contain to pass. JSON or YAML.

In the database it comes from the robot type, refined by the subscene and then the SOP
of the task: `QaSpec.merge(robot_type_spec, subscene_overrides, sop_overrides)`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

CHECK_NAMES = (
    "structure",
    "required_topics",
    "duration",
    "gaps",
    "rates",
    "timestamps",
    "image_integrity",
    "joint_states",
    "integrity",
)


class SpecError(ValueError):
    """A spec that cannot be read or does not validate (the command line exits 2)."""


class QaSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    required_topics: list[str] = Field(default_factory=list)
    min_duration_s: float = Field(0.0, ge=0)
    # Largest allowed interval between consecutive messages of a topic; None: no limit.
    max_gap_s: float | None = Field(None, gt=0)
    # Per-topic limits; a null value exempts the topic (e.g. a 1 Hz diagnostics topic).
    max_gap_s_by_topic: dict[str, float | None] = Field(default_factory=dict)
    # Camera topics to sample; None: every image-typed topic.
    image_topics: list[str] | None = None
    image_sample: int = Field(300, ge=0, le=100_000)
    # Fraction of sampled frames allowed to fail before image_integrity fails.
    image_failure_tolerance: float = Field(0.01, ge=0, le=1)
    # Score weights per check (missing checks keep their default weight).
    weights: dict[str, float] = Field(default_factory=dict)
    # Checks whose failure alone sends the recording to an inspector; None: all of them.
    critical_checks: list[str] | None = None
    # Topic -> the rate it must keep (Hz), judged over the whole recording and in windows
    # (a camera that drops from 30 to 15 Hz half-way fails); empty: rates not judged.
    expected_rate_hz: dict[str, float] = Field(default_factory=dict)
    # How far a rate may fall below (or rise above) its expected value, as a fraction.
    rate_tolerance: float = Field(0.2, ge=0, lt=1)
    # Joint name -> [lowest, highest] position allowed (sensor_msgs/JointState position,
    # radians or metres); empty: ranges not judged.
    joint_limits: dict[str, tuple[float, float]] = Field(default_factory=dict)
    # JointState topics that must move: frozen (identical over the whole sample) fails.
    moving_joint_topics: list[str] = Field(default_factory=list)
    # JointState messages decoded per topic, spread over the recording.
    joint_sample: int = Field(200, ge=0, le=10_000)

    @field_validator("expected_rate_hz")
    @classmethod
    def _positive_rates(cls, v: dict[str, float]) -> dict[str, float]:
        if any(not rate > 0 for rate in v.values()):
            raise ValueError("expected rates must be > 0 Hz")
        return v

    @field_validator("joint_limits")
    @classmethod
    def _ordered_limits(cls, v: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        bad = [name for name, (lo, hi) in v.items() if not lo <= hi]
        if bad:
            raise ValueError(f"joint limits must be [lowest, highest]: {sorted(bad)}")
        return v

    @field_validator("weights")
    @classmethod
    def _known_weights(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = set(v) - set(CHECK_NAMES)
        if unknown:
            raise ValueError(f"unknown checks in weights: {sorted(unknown)}")
        if any(w < 0 for w in v.values()):
            raise ValueError("weights must be >= 0")
        return v

    @field_validator("critical_checks")
    @classmethod
    def _known_critical(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and set(v) - set(CHECK_NAMES):
            raise ValueError(
                f"unknown checks in critical_checks: {sorted(set(v) - set(CHECK_NAMES))}"
            )
        return v

    def gap_limit_s(self, topic: str) -> float | None:
        if topic in self.max_gap_s_by_topic:
            return self.max_gap_s_by_topic[topic]
        return self.max_gap_s

    def merge(self, *overrides: QaSpec | Mapping[str, Any] | None) -> QaSpec:
        """This spec with each override applied in turn. Only the fields an override sets
        replace ours; the per-topic mappings (_BY_KEY) merge key by key."""
        data = self.model_dump()
        for override in overrides:
            if override is None:
                continue
            if isinstance(override, QaSpec):
                patch = override.model_dump(include=override.model_fields_set)
            else:
                patch = dict(override)
            for key, value in patch.items():
                if key in _BY_KEY and isinstance(value, Mapping):
                    data[key] = {**(data.get(key) or {}), **value}
                else:
                    data[key] = value
        return parse_spec(data)


# Fields an override merges key by key instead of replacing.
_BY_KEY = ("max_gap_s_by_topic", "weights", "expected_rate_hz", "joint_limits")


def parse_spec(data: Mapping[str, Any]) -> QaSpec:
    try:
        return QaSpec.model_validate(dict(data))
    except ValidationError as exc:
        raise SpecError(
            f"invalid QA spec: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}"
        ) from exc


def load_spec(path: str | os.PathLike[str]) -> QaSpec:
    """A spec from a .json, .yaml or .yml file (JSON is tried first for other names)."""
    p = Path(path)
    try:
        text = p.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read spec {p}: {exc}") from exc
    try:
        data = json.loads(text) if p.suffix != ".yaml" and p.suffix != ".yml" else None
    except json.JSONDecodeError:
        data = None
    if data is None:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SpecError(f"spec {p} is neither JSON nor YAML: {exc}") from exc
    if not isinstance(data, Mapping):
        raise SpecError(f"spec {p} must be a mapping, got {type(data).__name__}")
    return parse_spec(data)
