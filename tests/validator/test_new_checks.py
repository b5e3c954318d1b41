"""The checks of issue 17 on recordings built with each defect: rates (a camera that drops
to 15 Hz), timestamps (a clock that jumps back), joint_states (NaN, frozen, out of range,
decoded with the bundled definitions when the file has none); clean recordings pass; a
spec without what a check needs says 'not judged' and the score leaves it out."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from keystone_pipelines.validator import QaSpec, SpecError, parse_spec, validate
from keystone_pipelines.validator.checks.ros2_defs import decode, decoder_for
from keystone_sim.recording import JOINT_TOPIC, ClockJump, RateDrop, RecordingFacts
from tests.validator.conftest import CAMERAS

Make = Callable[..., RecordingFacts]
LEFT = CAMERAS[0]
RATES = {JOINT_TOPIC: 500.0, **dict.fromkeys(CAMERAS, 30.0), "/gripper/state": 50.0}
LIMITS = {f"joint_{i}": (-1.5, 1.5) for i in range(1, 8)}


@pytest.fixture(scope="module")
def full_spec(qa_spec: QaSpec) -> QaSpec:
    return qa_spec.merge(
        {
            "expected_rate_hz": RATES,
            "joint_limits": LIMITS,
            "moving_joint_topics": [JOINT_TOPIC],
        }
    )


def _failed(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {c.name for c in result.checks if not c.passed}


def test_a_clean_recording_passes_the_new_checks(good: RecordingFacts, full_spec: QaSpec) -> None:
    r = validate(good.path, full_spec, integrity=False)
    assert r.passed and r.score == 1.0, [c.to_dict() for c in r.checks]
    rates = r.check("rates")
    assert {row["topic"]: row["ok"] for row in rates.data["per_topic"]} == dict.fromkeys(
        RATES, True
    )
    joints = r.check("joint_states")
    assert joints.data["sampled"][JOINT_TOPIC] >= 150 and joints.data["problems"] == []
    assert joints.data["not_judged_parts"] == []
    assert joints.data["definitions"][JOINT_TOPIC] == "file"
    assert r.check("timestamps").passed


def test_a_camera_that_drops_to_15_hz_fails_rates_with_where(
    make_recording: Make, full_spec: QaSpec
) -> None:
    facts = make_recording("rate-drop", rate_drops=(RateDrop(LEFT, 3.0, 15.0),))
    r = validate(facts.path, full_spec, integrity=False)
    assert _failed(r) == {"rates"} and not r.passed
    rates = r.check("rates")
    drops = rates.data["drops"]
    assert {d["topic"] for d in drops} == {LEFT}
    assert drops[0]["at_s"] == pytest.approx(3.0, abs=1.0) and drops[0]["rate_hz"] < 20
    assert LEFT in rates.detail and "expected 30" in rates.detail
    # The other cameras keep their rate.
    assert [row["topic"] for row in rates.data["per_topic"] if not row["ok"]] == [LEFT]


def test_a_clock_that_jumps_back_fails_timestamps(make_recording: Make, full_spec: QaSpec) -> None:
    facts = make_recording("clock-jump", clock_jumps=(ClockJump(JOINT_TOPIC, 3.0, 0.5),))
    r = validate(facts.path, full_spec, integrity=False)
    ts = r.check("timestamps")
    assert not ts.passed and "timestamps" in _failed(r)
    back = ts.data["backwards"]
    assert back[0]["topic"] == JOINT_TOPIC and back[0]["kind"] == "log_time"
    assert back[0]["back_s"] == pytest.approx(0.5, abs=0.01)


def test_header_stamps_that_go_back_fail_timestamps(
    make_recording: Make, full_spec: QaSpec
) -> None:
    jump = ClockJump(JOINT_TOPIC, 3.0, 0.5, stamp_only=True)
    facts = make_recording("stamp-jump", clock_jumps=(jump,))
    r = validate(facts.path, full_spec, integrity=False)
    assert _failed(r) == {"timestamps"}
    (back,) = r.check("timestamps").data["backwards"]  # the log times are in order
    assert back["topic"] == JOINT_TOPIC and back["kind"] == "header.stamp"
    assert 0 < back["back_s"] <= 0.5


def test_nan_joint_positions_fail_joint_states(make_recording: Make, full_spec: QaSpec) -> None:
    facts = make_recording("joint-nan", joint_nan_fraction=0.2)
    r = validate(facts.path, full_spec, integrity=False)
    assert _failed(r) == {"joint_states"}
    joints = r.check("joint_states")
    assert {p["kind"] for p in joints.data["problems"]} == {"nan"}
    assert "joint_1 position is nan" in joints.detail


def test_frozen_joints_fail_only_where_the_spec_wants_movement(
    make_recording: Make, full_spec: QaSpec, qa_spec: QaSpec
) -> None:
    facts = make_recording("frozen", frozen_joints=True)
    r = validate(facts.path, full_spec, integrity=False)
    assert _failed(r) == {"joint_states"}
    assert [p["kind"] for p in r.check("joint_states").data["problems"]] == ["frozen"]
    # Without moving_joint_topics the spec does not say the joints must move.
    plain = validate(facts.path, qa_spec, integrity=False).check("joint_states")
    assert plain.passed and "frozen" in plain.data["not_judged_parts"]


def test_positions_outside_the_limits_fail(make_recording: Make, full_spec: QaSpec) -> None:
    facts = make_recording("wide-swing", joint_amplitude=2.0)
    r = validate(facts.path, full_spec, integrity=False)
    assert _failed(r) == {"joint_states"}
    problems = r.check("joint_states").data["problems"]
    assert {p["kind"] for p in problems} == {"out_of_range"}
    assert "outside [-1.5, 1.5]" in problems[0]["detail"]


def test_without_schema_text_a_warning_and_the_bundled_definitions_decode(
    make_recording: Make, full_spec: QaSpec
) -> None:
    facts = make_recording("no-text-nan", schema_text=False, joint_nan_fraction=0.2)
    r = validate(facts.path, full_spec, integrity=False)
    assert [f["code"] for f in r.findings if f["severity"] == "warning"] == ["EMPTY_SCHEMA"]
    joints = r.check("joint_states")
    assert joints.data["definitions"][JOINT_TOPIC] == "bundled"
    assert {p["kind"] for p in joints.data["problems"]} == {"nan"}  # decoded all the same


def test_an_empty_spec_judges_what_it_can_and_says_what_it_cannot(good: RecordingFacts) -> None:
    r = validate(good.path, QaSpec(), integrity=False)
    not_judged = {c.name: c.data["not_judged"] for c in r.checks if "not_judged" in c.data}
    assert set(not_judged) == {"required_topics", "duration", "gaps", "rates"}
    assert all(c.detail.startswith("not judged: ") for c in r.checks if c.name in not_judged)
    assert "expected rates" in not_judged["rates"]
    assert r.passed and r.score == 1.0


def test_unjudged_checks_are_left_out_of_the_score(make_recording: Make, qa_spec: QaSpec) -> None:
    facts = make_recording("some-bad-frames", corrupt_jpeg_fraction=0.005)
    spec = qa_spec.merge({"image_failure_tolerance": 0.05})
    r = validate(facts.path, spec, integrity=False)
    image = r.check("image_integrity")
    assert image.passed and image.score < 1.0
    judged = [c for c in r.checks if "not_judged" not in c.data]
    from keystone_pipelines.validator.score import DEFAULT_WEIGHTS

    total = sum(DEFAULT_WEIGHTS[c.name] for c in judged)
    mean = sum(DEFAULT_WEIGHTS[c.name] * c.score for c in judged) / total
    assert r.score == pytest.approx(mean, abs=1e-6)
    assert "rates" not in {c.name for c in judged}


def test_the_joint_sample_reuses_the_frames_chunks(good: RecordingFacts, qa_spec: QaSpec) -> None:
    with_joints = validate(good.path, qa_spec, integrity=False)
    without = validate(good.path, qa_spec.merge({"joint_sample": 0}), integrity=False)
    extra = with_joints.bytes_read - without.bytes_read
    assert extra <= 0.05 * good.size, (extra, good.size)


@pytest.mark.parametrize(
    ("patch", "words"),
    [
        ({"expected_rate_hz": {LEFT: 0}}, "expected rates must be > 0"),
        ({"joint_limits": {"joint_1": [2, -2]}}, "[lowest, highest]"),
        ({"rate_tolerance": 1.5}, "rate_tolerance"),
        ({"joint_sample": -1}, "joint_sample"),
        ({"weights": {"rates": -1}}, "weights must be >= 0"),
    ],
)
def test_bad_specs_are_refused_with_the_reason(patch: dict, words: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(patch)
    assert words in str(info.value)


def test_the_bundled_decoder_refuses_garbage_clearly() -> None:
    dec, source = decoder_for("sensor_msgs/msg/JointState", b"")
    assert dec is not None and source == "bundled"
    with pytest.raises(ValueError):
        decode(dec, b"\x00\x01\x00\x00" + b"\xff" * 40)
    assert decoder_for("acme_msgs/msg/Unknown", b"")[0] is None
