"""Property: whatever bytes it is given, the validator returns a verdict (six checks, a
score in 0..1, serializable) and never an internal error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keystone_pipelines.validator import CHECK_NAMES, BytesSource, QaSpec, validate
from keystone_sim.recording import RecordingSpec, write_recording

SPEC = QaSpec(required_topics=["/joint_states"], min_duration_s=0.5, max_gap_s=0.5, image_sample=20)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """~100 KB: 64x48 frames, 1 s, 16 KiB chunks (so there are many chunks and indexes)."""
    path = tmp_path_factory.mktemp("tiny") / "tiny.mcap"
    spec = RecordingSpec(
        width=64, height=48, duration_s=1.0, chunk_size=16 * 1024, joint_rate_hz=200
    )
    write_recording(path, spec)
    return Path(path).read_bytes()


def _verdict(data: bytes) -> None:
    r = validate(BytesSource(data), SPEC)
    assert [c.name for c in r.checks] == list(CHECK_NAMES)
    assert 0.0 <= r.score <= 1.0
    assert r.passed == (r.score >= 0.9)
    assert all((c.score >= 0.9) == c.passed for c in r.checks)
    assert not [f for f in r.findings if f["code"] == "INTERNAL_ERROR"], r.findings
    json.dumps(r.to_dict())


def test_tiny_file_is_valid(tiny: bytes) -> None:
    assert validate(BytesSource(tiny), SPEC).passed


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    out = bytearray(data)
    n = len(out)
    region = st.one_of(
        st.integers(0, n - 1),  # anywhere
        st.integers(max(0, n - 4096), n - 1),  # summary and footer
        st.integers(0, min(n - 1, 512)),  # magic, header, first records
    )
    for _ in range(draw(st.integers(0, 8))):
        pos = draw(region)
        out[pos] = draw(st.integers(0, 255))
    if draw(st.booleans()):  # overwrite a length field with something large
        pos = draw(region)
        out[pos : pos + 8] = draw(st.integers(0, 2**64 - 1)).to_bytes(8, "little")
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(out)))
        out = out[:cut]
    if draw(st.booleans()) and out:
        pos = draw(st.integers(0, len(out) - 1))
        out[pos:pos] = draw(st.binary(min_size=1, max_size=16))
    return bytes(out)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_mutated_bytes_always_get_a_verdict(tiny: bytes, data: st.DataObject) -> None:
    _verdict(data.draw(mutated(tiny)))


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_always_get_a_verdict(raw: bytes) -> None:
    _verdict(raw)
    _verdict(b"\x89MCAP0\r\n" + raw + b"\x89MCAP0\r\n")
