"""Decompression bombs: a few hundred KB that inflate to GBs are answered "not assessed"
with the reason, after decompressing no more than the budget (max(64 MiB, 1000 x the
file)); what the validator decompresses is counted at the decompressors, not timed.
Recordings of ordinary ratios (up to the 64x of a real Axon file) are unaffected."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from keystone_pipelines.validator import BytesSource, QaSpec, validate
from keystone_pipelines.validator.reader import chunks
from keystone_pipelines.validator.reader.budget import INFLATION_FLOOR, MAX_INFLATION
from keystone_sim.recording import RecordingFacts
from tests.validator.bombs import inflating_mcap

MIB = 1024 * 1024
# Written by the real axon-recorder (tests/data/axon-real/README.md).
AXON_REAL = Path(__file__).parents[1] / "data/axon-real/01a2454e-4f0c-722b-bd15-7fdd2f29d085.mcap"


@pytest.fixture
def inflated(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Bytes each zstd chunk really decompressed to, as the validator opened them."""
    sizes: list[int] = []
    real = chunks._zstd

    def counting(data: chunks.Buf, size: int) -> bytes:
        out = real(data, size)
        sizes.append(len(out))
        return out

    monkeypatch.setattr(chunks, "_zstd", counting)
    yield sizes


def budget_of(data: bytes) -> int:
    return max(INFLATION_FLOOR, MAX_INFLATION * len(data))


def unassessed(result: object) -> dict[str, str]:
    return {
        c.name: c.detail
        for c in result.checks  # type: ignore[attr-defined]
        if "not_assessed" in c.data
    }


def test_an_indexed_bomb_is_not_assessed_and_costs_at_most_the_budget(
    inflated: list[int],
) -> None:
    # 32 chunks of 64 MiB (2 GiB) in ~75 KB: tiers 1, 2 and 4 (the CLI's and small files').
    data = inflating_mcap(32, 64 * MIB, topic="/joint_states", schema="sensor_msgs/msg/JointState")
    assert len(data) < 100_000
    result = validate(BytesSource(data, "bomb.mcap"), QaSpec(image_sample=0), integrity=True)

    assert sum(inflated) <= budget_of(data) < 32 * 64 * MIB
    assert not result.passed and result.score == 0.0
    # The integrity pass could not open most chunks: not assessed, with the reason. What
    # the index tells (topics, duration, gaps) needs no decompression and stands. The
    # joint-state sample's chunks were refused too: not assessed either.
    assert set(unassessed(result)) == {"integrity", "joint_states"}
    detail = result.check("integrity").detail
    assert detail.startswith("not assessed: decompression budget exceeded:"), detail
    assert f"budget {budget_of(data):,} bytes" in detail
    assert "SHA-256" in detail  # what was assessed is still said
    codes = [f["code"] for f in result.findings]
    assert "DECOMPRESSION_BUDGET" in codes and "CHUNK_UNREADABLE" not in codes


def test_the_frame_sample_of_a_bomb_stays_within_the_budget(inflated: list[int]) -> None:
    # The QA pipeline's path: tiers 1-3, the sample decodes up to 64 whole chunks.
    data = inflating_mcap(64, 64 * MIB)
    result = validate(BytesSource(data, "bomb.mcap"), QaSpec(image_sample=300), integrity=False)

    assert sum(inflated) <= budget_of(data)
    image = result.check("image_integrity")
    assert not image.passed and image.data["chunks_refused"] > 0
    assert "decompression budget exceeded" in image.data["not_assessed"]
    assert not result.passed


def test_a_streamed_bomb_leaves_every_scanned_check_unassessed(inflated: list[int]) -> None:
    # No summary, no index: the linear scan itself would decompress everything.
    data = inflating_mcap(32, 64 * MIB, indexed=False, topic="/joint_states", schema="x/Y")
    spec = QaSpec(required_topics=["/joint_states"], min_duration_s=0, image_sample=0)
    result = validate(BytesSource(data, "streamed.mcap"), spec, integrity=False)

    assert sum(inflated) <= budget_of(data)
    assert set(unassessed(result)) == {
        "structure",
        "required_topics",
        "duration",
        "gaps",
        "image_integrity",
        "integrity",
    }
    assert all(
        d.startswith("not assessed: decompression budget") for d in unassessed(result).values()
    )
    assert not result.passed


def test_a_lying_chunk_header_is_held_to_what_it_declares(inflated: list[int]) -> None:
    # Each chunk says 1 MiB; its zstd frame (no content size) inflates to 64 MiB.
    data = inflating_mcap(16, 64 * MIB, declared=MIB)
    result = validate(BytesSource(data, "liar.mcap"), QaSpec(image_sample=0), integrity=True)

    assert inflated and max(inflated) == MIB + 1  # stopped one byte past the claim
    assert sum(inflated) <= 16 * (MIB + 1)
    structure = result.check("structure")
    assert not structure.passed and "declares 1048576" in structure.detail
    assert not result.passed


def test_a_budget_is_relative_to_the_file(inflated: list[int]) -> None:
    """The same bomb with room for it (a ratio above its own) is decompressed in full and
    assessed: the limit is the budget, not the content."""
    data = inflating_mcap(4, 64 * MIB, topic="/joint_states", schema="sensor_msgs/msg/JointState")
    ratio = 4 * 64 * MIB / len(data)
    roomy = validate(
        BytesSource(data, "b.mcap"), QaSpec(image_sample=0), max_inflation=ratio * 1.01
    )
    assert not unassessed(roomy) and sum(inflated) == 4 * 64 * MIB
    inflated.clear()
    tight = validate(
        BytesSource(data, "b.mcap"), QaSpec(image_sample=0), max_inflation=ratio * 0.99
    )
    # The refused chunk held joint states the sample wanted: those are not assessed too.
    assert set(unassessed(tight)) == {"integrity", "joint_states"}
    assert sum(inflated) == 3 * 64 * MIB


def test_ordinary_recordings_are_unaffected(
    make_recording: Callable[..., RecordingFacts], qa_spec: QaSpec, inflated: list[int]
) -> None:
    # keystone_sim's Axon layout (~4x) and one frame repeated throughout (~32x).
    for facts in (make_recording("good"), make_recording("one-frame", frame_pool=1)):
        result = validate(facts.path, qa_spec, integrity=True)
        assert result.passed, [c.to_dict() for c in result.checks if not c.passed]
        assert not unassessed(result)
        assert "DECOMPRESSION_BUDGET" not in [f["code"] for f in result.findings]


def test_a_real_axon_recording_of_64x_is_unaffected(inflated: list[int]) -> None:
    data = AXON_REAL.read_bytes()
    result = validate(BytesSource(data, AXON_REAL.name), QaSpec(), integrity=True)
    assert sum(inflated) > 60 * len(data)  # really that compressible
    assert not unassessed(result)
    assert result.check("integrity").passed
