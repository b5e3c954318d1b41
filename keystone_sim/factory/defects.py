"""What each simulated recording is like: clean, or carrying one defect, and the QA decision
that defect should lead to.

Content defects are options of `keystone_sim.recording.RecordingSpec`; a short recording is
a collector who stops early; a truncated upload is an MCAP cut short on the robot before its
sidecar was written (so it lands and is ACKed, and QA must catch it); a lost callback is the
recorder's finish callback never arriving (the upload still completes the task, and the
recording itself is fine).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from keystone_sim.recording import CAMERA_TOPIC, JOINT_TOPIC, Gap, RecordingSpec

DEFECTS = ("missing_topic", "too_short", "gap", "corrupt_frames", "truncated", "lost_callback")
CLEAN = "clean"
# A defect of the data goes to an inspector; a lost callback is the protocol's problem,
# which Keystone absorbs: that recording should auto-approve like a clean one.
EXPECTED = {kind: "needs_inspection" for kind in DEFECTS} | {
    CLEAN: "auto_approved",
    "lost_callback": "auto_approved",
}
SHORT_S = 1.0  # below the demo QA spec's min_duration_s (2 s)
GAP_S = 1.2  # above its max_gap_s (0.5 s)


def fleet_spec(width: int = 320, height: int = 240) -> RecordingSpec:
    """The Axon layout (joints 500 Hz, three JPEG cameras 30 Hz, gripper 50 Hz) at a
    resolution a laptop keeps up with: ~0.1 MB per second of recording."""
    return RecordingSpec(width=width, height=height, frame_pool=8, chunk_size=1024 * 1024)


@dataclass(frozen=True)
class Plan:
    kind: str  # CLEAN or one of DEFECTS
    spec: RecordingSpec
    hold_s: float  # how long the collector records before finishing
    lost_callbacks: frozenset[str] = frozenset()
    truncate: float | None = None

    @property
    def expected(self) -> str:
        return EXPECTED[self.kind]


def plan(
    rng: random.Random,
    base: RecordingSpec,
    seconds: float,
    defect_rate: float,
    kind: str | None = None,
) -> Plan:
    """One recording: clean, or (with probability defect_rate) one defect, `kind` or one
    drawn at random."""
    spec = base
    if rng.random() >= defect_rate:
        return Plan(CLEAN, spec, seconds)
    kind = kind or rng.choice(DEFECTS)
    camera = CAMERA_TOPIC.format(rng.choice(base.cameras))
    if kind == "missing_topic":
        return Plan(kind, replace(spec, missing_topics=(camera,)), seconds)
    if kind == "too_short":
        return Plan(kind, spec, min(SHORT_S, seconds))
    if kind == "gap":
        topic = rng.choice((camera, JOINT_TOPIC))
        at = max(0.2, seconds / 2 - GAP_S / 2)
        return Plan(kind, replace(spec, gaps=(Gap(topic, at, GAP_S),)), max(seconds, 3.0))
    if kind == "corrupt_frames":
        return Plan(kind, replace(spec, corrupt_jpeg_fraction=0.15), seconds)
    if kind == "truncated":
        return Plan(kind, spec, seconds, truncate=0.6)
    return Plan(kind, spec, seconds, lost_callbacks=frozenset({"finish"}))
