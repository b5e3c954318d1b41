"""The QA spec (JSON/YAML, layered merge) and the versioned score formula."""

from __future__ import annotations

from pathlib import Path

import pytest

from keystone_pipelines.validator import QaSpec, SpecError, load_spec
from keystone_pipelines.validator.result import CheckResult
from keystone_pipelines.validator.score import (
    DEFAULT_WEIGHTS,
    FORMULA_VERSION,
    make_check,
    overall_score,
    passes,
)
from keystone_pipelines.validator.spec import CHECK_NAMES


def test_json_and_yaml_specs(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(
        '{"required_topics": ["/a"], "min_duration_s": 10, "max_gap_s": 0.5}'
    )
    (tmp_path / "b.yaml").write_text("required_topics: [/a]\nmin_duration_s: 10\nmax_gap_s: 0.5\n")
    assert load_spec(tmp_path / "a.json") == load_spec(tmp_path / "b.yaml")
    spec = load_spec(tmp_path / "a.json")
    assert spec.image_sample == 300 and spec.image_topics is None


@pytest.mark.parametrize(
    "text",
    [
        '{"unknown_key": 1}',
        '{"min_duration_s": -1}',
        '{"weights": {"nope": 1}}',
        "[1, 2]",
        "{: bad",
    ],
)
def test_bad_specs_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "s.json"
    path.write_text(text)
    with pytest.raises(SpecError):
        load_spec(path)


def test_merge_layers_robot_type_subscene_sop() -> None:
    robot = QaSpec(
        required_topics=["/joint_states", "/cam"],
        min_duration_s=10,
        max_gap_s=0.5,
        max_gap_s_by_topic={"/cam": 0.2},
        weights={"gaps": 0.3},
    )
    subscene = {"min_duration_s": 30, "max_gap_s_by_topic": {"/diag": None}}
    sop = QaSpec(image_sample=50, max_gap_s_by_topic={"/cam": 0.1})
    spec = robot.merge(subscene, sop, None)
    assert spec.required_topics == ["/joint_states", "/cam"]  # kept: no layer set it
    assert spec.min_duration_s == 30 and spec.max_gap_s == 0.5 and spec.image_sample == 50
    assert spec.max_gap_s_by_topic == {"/cam": 0.1, "/diag": None}
    assert spec.gap_limit_s("/cam") == 0.1 and spec.gap_limit_s("/diag") is None
    assert spec.gap_limit_s("/other") == 0.5
    assert spec.weights == {"gaps": 0.3}
    with pytest.raises(SpecError):
        robot.merge({"image_sample": -3})


def _checks(**scores: float) -> list[CheckResult]:
    return [make_check(n, scores.get(n, 1.0) >= 0.9, scores.get(n, 1.0), "") for n in CHECK_NAMES]


def test_score_formula() -> None:
    assert FORMULA_VERSION == "2" and abs(sum(DEFAULT_WEIGHTS.values()) - 1) < 1e-9
    assert overall_score(_checks()) == 1.0
    # a structure warning costs a little and still passes
    warned = overall_score(_checks(structure=0.95))
    assert passes(warned) and warned < 1.0
    # any failed critical check, however light, puts the score under 0.90
    for name in CHECK_NAMES:
        assert not passes(overall_score(_checks(**{name: 0.89}))), name
        assert not passes(overall_score(_checks(**{name: 0.0}))), name
    # a check that is not critical only costs its weight
    lenient = overall_score(_checks(gaps=0.5), critical=[n for n in CHECK_NAMES if n != "gaps"])
    assert passes(lenient) and lenient < 1.0
    # weights are configurable
    heavy = overall_score(_checks(gaps=0.5), weights={"gaps": 10}, critical=["structure"])
    assert not passes(heavy)


def test_check_scores_follow_the_pass_convention() -> None:
    assert make_check("gaps", True, 0.2, "").score == 0.9
    assert make_check("gaps", False, 0.95, "").score < 0.9
    assert make_check("gaps", True, 7, "").score == 1.0
