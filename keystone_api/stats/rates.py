"""Every rate and ratio Keystone shows, defined once: what is counted, over which window,
divided by what, and one line that says so to a person.

The dashboard, the floor display, the statistics API and /metrics all take their figures
from `value()` over these definitions, and show the definition beside the figure (the
pages as a caption and tooltip from GET /api/v1/stats/definitions, /metrics in its HELP
text). "Tasks per hour" had been three different averages on three screens (24 hours,
since midnight, the last hour); now it is one figure.

Windows, chosen as a factory manager reads them:
- a pace ("per hour") is the last 60 minutes, whatever period a page shows: it answers
  "how fast are we going now", does not sag when a shift has just started (an average
  over 24 hours does) and does not jump at the top of the clock hour;
- a ratio (pass rate, success rate) is over the period the screen names: the dashboard's
  chosen period, the floor display's today, /metrics' last 60 minutes, a chart's bucket.
  The caption beside it names that period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

LAST_60_MIN = timedelta(minutes=60)
Unit = Literal["per_hour", "ratio", "score", "percent"]
Window = Literal["last_60_min", "period", "all_time"]


@dataclass(frozen=True)
class Definition:
    name: str  # the field name in the statistics API
    label: str  # what a page calls it
    unit: Unit
    window: Window
    numerator: str  # a count (the API's field name)
    denominator: tuple[str, ...]  # counts summed; () for a pace: the window's hours
    definition: str  # one line for a person
    digits: int = 4  # rounded to this many decimals (of the unit as served)
    scale: float = 1.0  # 100 for a percent
    cap: float | None = None  # at most this (before scaling)
    when_empty: float | None = None  # with a zero denominator: None is "no figure"

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data["denominator"] = list(self.denominator)
        pace = self.window == "last_60_min"
        data["window_minutes"] = int(LAST_60_MIN.total_seconds() // 60) if pace else None
        for internal in ("digits", "scale", "cap", "when_empty"):
            data.pop(internal)
        return data


DEFINITIONS: dict[str, Definition] = {
    d.name: d
    for d in (
        Definition(
            "tasks_per_hour",
            "Tasks / hour",
            "per_hour",
            "last_60_min",
            "tasks_completed",
            (),
            "Tasks completed (their recording landed) in the last 60 minutes; the same "
            "figure on every page, whatever its period.",
            digits=1,
        ),
        Definition(
            "upload_success_rate",
            "Upload success",
            "ratio",
            "period",
            "tasks_completed",
            ("tasks_completed", "tasks_failed"),
            "Tasks completed / tasks ended (completed + upload failed), of the tasks that "
            "ended in the period.",
        ),
        Definition(
            "qa_pass_rate",
            "QA pass rate",
            "ratio",
            "period",
            "qa_passed",
            ("assessed",),
            "Episodes whose every QA check passed / episodes assessed (QA done), of the "
            "episodes that landed in the period.",
        ),
        Definition(
            "auto_approval_rate",
            "Auto-approval rate",
            "ratio",
            "period",
            "auto_approved",
            ("assessed",),
            "Episodes approved by QA without an inspector / episodes assessed, of the "
            "episodes that landed in the period.",
        ),
        Definition(
            "sync_rate",
            "Synced to cloud",
            "ratio",
            "period",
            "synced",
            ("approved",),
            "Episodes confirmed by the cloud / episodes approved, of the episodes that "
            "landed in the period.",
        ),
        Definition(
            "avg_qa_score",
            "Avg QA score",
            "score",
            "period",
            "score_sum",
            ("scored",),
            "Mean QA score (0 to 1) of the episodes scored, of the episodes that landed in "
            "the period.",
        ),
        Definition(
            "spot_check_agreement_rate",
            "Spot-check agreement",
            "ratio",
            "period",
            "spot_checks_agreed",
            ("spot_checks_decided",),
            "Spot checks an inspector approved / spot checks decided (auto-approved "
            "episodes sampled for an inspector), of those decided in the period, per robot "
            "type.",
        ),
        Definition(
            "percent_complete",
            "Complete",
            "percent",
            "all_time",
            "approved",
            ("target_episodes",),
            "Approved episodes / the order's target (at most 100 %), whenever they landed.",
            digits=1,
            scale=100.0,
            cap=1.0,
            when_empty=100.0,
        ),
    )
}


def definition(name: str) -> Definition:
    try:
        return DEFINITIONS[name]
    except KeyError:
        raise ValueError(f"no rate named '{name}' (known: {', '.join(DEFINITIONS)})") from None


def value(name: str, counts: Mapping[str, float], hours: float = 1.0) -> float | None:
    """The figure `name` from its counts (`hours`: the window's length, for a pace)."""
    d = definition(name)
    numerator = float(counts.get(d.numerator) or 0)
    if not d.denominator:
        return round(numerator / hours, d.digits) if hours > 0 else d.when_empty
    denominator = sum(float(counts.get(key) or 0) for key in d.denominator)
    if not denominator:
        return d.when_empty
    share = numerator / denominator
    if d.cap is not None:
        share = min(share, d.cap)
    return round(share * d.scale, d.digits)


def last_60_min(now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of a pace's window ending now."""
    return now - LAST_60_MIN, now


def help_text(name: str, window: str) -> str:
    """A definition for /metrics' HELP, its period named ("the last 60 minutes")."""
    return definition(name).definition.replace("the period", window)


def public() -> list[dict[str, Any]]:
    return [d.public() for d in DEFINITIONS.values()]
