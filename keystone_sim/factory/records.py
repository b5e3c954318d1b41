"""What the simulator keeps about each recording, how many it may still make, and which
recordings carry which defect."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from keystone_sim.factory.defects import DEFECTS, Plan, plan
from keystone_sim.recording import RecordingSpec

FLAGGED = ("needs_inspection", "inspector_approved", "rejected")


@dataclass
class Recording:
    task_id: str
    device_id: str
    kind: str
    expected: str
    uploaded: bool = False
    acked: bool = False
    episode_id: str | None = None
    decision: str | None = None  # auto_approved | needs_inspection, once QA decided
    error: str | None = None

    @property
    def as_expected(self) -> bool:
        return self.decision == self.expected


@dataclass
class FleetReport:
    recordings: list[Recording] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    robots: list[str] = field(default_factory=list)  # device ids

    def count(self, what: str, kind: str | None = None) -> int:
        rows = [r for r in self.recordings if kind is None or r.kind == kind]
        if what == "recorded":
            return len(rows)
        if what in ("uploaded", "acked"):
            return sum(1 for r in rows if getattr(r, what))
        if what == "undecided":
            return sum(1 for r in rows if r.decision is None)
        return sum(1 for r in rows if r.decision == what)

    def kinds(self) -> list[str]:
        seen = Counter(r.kind for r in self.recordings)
        return sorted(seen, key=lambda k: (k != "clean", k))

    @property
    def complete(self) -> bool:
        """Every recording was ACKed and reached a QA decision."""
        return all(r.acked and r.decision for r in self.recordings)


class Budget:
    """How many recordings the fleet may still start (0 total: no limit)."""

    def __init__(self, total: int) -> None:
        self.total, self.taken = total, 0

    def take(self) -> bool:
        if self.total and self.taken >= self.total:
            return False
        self.taken += 1
        return True

    def give_back(self) -> None:
        if self.total:
            self.taken -= 1


class Planner:
    """Exactly `defect_rate` of the recordings are defective, spread evenly, and the
    defects take turns (from a random start), so even a short run shows each kind."""

    def __init__(self, base: RecordingSpec, seconds: float, defect_rate: float, seed: int):
        self.base, self.seconds = base, seconds
        self.rate = min(max(defect_rate, 0.0), 1.0)
        self.rng = random.Random(seed)
        self.n = 0
        self.turn = self.rng.randrange(len(DEFECTS))

    def next(self) -> Plan:
        i, self.n = self.n, self.n + 1
        defective = int((i + 1) * self.rate) > int(i * self.rate)
        if not defective:
            return plan(self.rng, self.base, self.seconds, 0.0)
        kind = DEFECTS[self.turn % len(DEFECTS)]
        self.turn += 1
        return plan(self.rng, self.base, self.seconds, 1.0, kind)
