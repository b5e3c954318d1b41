"""Small recordings made with keystone_sim (a few MB each, written once per session)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from keystone_pipelines.validator import QaSpec
from keystone_sim.recording import RecordingFacts, RecordingSpec, write_recording

CAMERAS = [f"/camera_{c}/image_raw/compressed" for c in ("left", "right", "head")]
TOPICS = ["/joint_states", *CAMERAS, "/gripper/state"]
# A small Axon layout: 320x240 JPEGs, 6 s, 256 KiB chunks -> a few MB, ~20 chunks.
SMALL = {"width": 320, "height": 240, "duration_s": 6.0, "chunk_size": 256 * 1024}


def small_spec(**overrides: object) -> RecordingSpec:
    return RecordingSpec(**{**SMALL, **overrides})  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def qa_spec() -> QaSpec:
    return QaSpec(required_topics=TOPICS, min_duration_s=5, max_gap_s=0.2)


@pytest.fixture(scope="session")
def make_recording(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., RecordingFacts]:
    """make_recording(name, **RecordingSpec overrides) -> facts; cached per name."""
    root = tmp_path_factory.mktemp("recordings")
    cache: dict[str, RecordingFacts] = {}

    def make(name: str, **overrides: object) -> RecordingFacts:
        if name not in cache:
            cache[name] = write_recording(root / f"{name}.mcap", small_spec(**overrides))
        return cache[name]

    return make


@pytest.fixture(scope="session")
def good(make_recording: Callable[..., RecordingFacts]) -> RecordingFacts:
    return make_recording("good")


@pytest.fixture(scope="session")
def good_bytes(good: RecordingFacts) -> bytes:
    return Path(good.path).read_bytes()
