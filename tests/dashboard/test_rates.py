"""The rate registry (keystone_api/stats/rates.py): each rate computed by one function from
its counts, its definition the one the API documents and serves, and a clear refusal of a
rate nobody defined."""

from __future__ import annotations

import pytest

from keystone_api.episodes.review_schemas import SpotCheckAgreement
from keystone_api.stats import rates
from keystone_api.stats.schemas import EpisodeCounts, LiveState, OrderProgressItem, TaskCounts
from tests.api.world import World, auth, ok


def test_ratios_divide_their_counts_and_have_no_figure_without_a_denominator() -> None:
    counts = {"qa_passed": 1, "assessed": 3, "auto_approved": 2, "synced": 0, "approved": 0}
    assert rates.value("qa_pass_rate", counts) == 0.3333
    assert rates.value("auto_approval_rate", counts) == 0.6667
    assert rates.value("sync_rate", counts) is None  # nothing approved: no figure, not 0
    assert rates.value("upload_success_rate", {"tasks_completed": 5, "tasks_failed": 1}) == 0.8333
    assert rates.value("avg_qa_score", {"score_sum": 2.16, "scored": 3}) == 0.72


def test_a_pace_is_per_hour_of_its_window_and_progress_is_capped() -> None:
    assert rates.value("tasks_per_hour", {"tasks_completed": 560}) == 560
    assert rates.value("tasks_per_hour", {"tasks_completed": 30}, hours=0.5) == 60
    done = rates.value("percent_complete", {"approved": 12, "target_episodes": 10})
    assert done == 100.0
    assert rates.value("percent_complete", {"approved": 3, "target_episodes": 20}) == 15.0


def test_an_unknown_rate_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="no rate named 'tasks_per_day'.*tasks_per_hour"):
        rates.value("tasks_per_day", {})


def test_every_rate_is_a_documented_field_whose_description_is_its_definition() -> None:
    fields = {
        **EpisodeCounts.model_fields,
        **TaskCounts.model_fields,
        **LiveState.model_fields,
        **OrderProgressItem.model_fields,
        **SpotCheckAgreement.model_fields,
    }
    for name, d in rates.DEFINITIONS.items():
        assert fields[name].description == d.definition, name
        assert d.window in ("last_60_min", "period", "all_time")
    # The one pace is the last 60 minutes wherever it is shown.
    assert rates.DEFINITIONS["tasks_per_hour"].window == "last_60_min"
    assert "tasks_per_hour" in LiveState.model_fields


def test_the_definitions_are_served_to_every_reader_of_statistics(
    seeded_world: World,
) -> None:
    from tests.dashboard.seed import display_token

    w = seeded_world
    for token in (w.admin, display_token(w)):
        body = ok(w.client.get("/api/v1/stats/definitions", headers=auth(token)))
        served = {d["name"]: d for d in body["items"]}
        assert set(served) == set(rates.DEFINITIONS)
        tph = served["tasks_per_hour"]
        assert (tph["window"], tph["window_minutes"]) == ("last_60_min", 60)
        assert tph["numerator"] == "tasks_completed" and tph["denominator"] == []
        qa = served["qa_pass_rate"]
        assert (qa["numerator"], qa["denominator"], qa["window"]) == (
            "qa_passed",
            ["assessed"],
            "period",
        )
        assert qa["definition"] == rates.DEFINITIONS["qa_pass_rate"].definition
    assert w.client.get("/api/v1/stats/definitions").status_code == 401
