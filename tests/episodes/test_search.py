"""Episode search over HTTP on the real MariaDB: each filter narrows to exactly the
episodes it names, filters combine, free text reads the sidecar's task fields, the CSV
export holds the same rows as the list, and a bad filter is a 422 that names it."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.api.world import ok
from tests.episodes.search_world import SearchWorld

ALL = {"calm", "gappy", "bad", "socks", "fresh"}


def _names(sw: SearchWorld, params: Any) -> set[str]:
    body = ok(sw.search(params))
    assert body["total"] == len(body["items"])
    return sw.names(body["items"])


def test_no_filter_lists_the_factorys_episodes_newest_first(searchable: SearchWorld) -> None:
    body = ok(searchable.search({}))
    assert searchable.names(body["items"]) == ALL
    landed = [e["landed_at"] for e in body["items"]]
    assert landed == sorted(landed, reverse=True)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "needs_inspection"}, {"gappy"}),
        ({"status": ["auto_approved", "rejected"]}, {"calm", "socks", "bad"}),
        ({"status": "pending_qa"}, {"fresh"}),
        ({"failed_check": "gaps"}, {"gappy", "socks"}),
        ({"failed_check": "image_integrity"}, {"bad"}),
        ({"failed_check": "duration"}, set()),
        ({"qa_passed": "true"}, {"calm"}),
        ({"qa_passed": "false"}, {"gappy", "bad", "socks"}),
        ({"score_min": 0.5}, {"calm", "gappy", "socks"}),
        ({"score_max": 0.5}, {"gappy", "bad"}),
        ({"score_min": 0.45, "score_max": 0.96}, {"gappy", "socks"}),
        ({"label": "night-shift"}, {"gappy", "socks"}),
        ({"label": "Night Shift"}, {"gappy", "socks"}),  # normalized as when set
        ({"label": ["night-shift", "occluded"]}, {"gappy"}),  # all of them
        ({"label": "no-such-label"}, set()),
    ],
)
def test_each_filter_narrows_exactly(
    searchable: SearchWorld, params: dict[str, Any], expected: set[str]
) -> None:
    assert _names(searchable, params) == expected


def test_registry_filters_narrow_exactly(searchable: SearchWorld) -> None:
    sw, w = searchable, searchable.w
    assert _names(sw, {"robot_id": w.robots[1]["id"]}) == {"socks", "fresh"}
    assert _names(sw, {"workstation_id": w.workstations[0]["id"]}) == {"calm", "gappy", "bad"}
    assert _names(sw, {"data_collector_id": w.collectors[1]["id"]}) == {"socks", "fresh"}
    assert _names(sw, {"scene_id": sw.scene_b}) == {"socks"}
    assert _names(sw, {"scene_id": w.scene_id}) == ALL - {"socks"}
    assert _names(sw, {"skill_id": sw.skill_b}) == {"socks"}
    assert _names(sw, {"skill_id": w.skill_id}) == ALL - {"socks"}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ravi", {"gappy", "socks"}),
        ("RAVI kumar", {"gappy", "socks"}),  # case-insensitive
        ("ångström", {"calm"}),  # beyond ASCII
        ("sort socks", {"socks"}),  # a skill in the task block
        ("kitchen", ALL),  # the sidecar's scene, on every recording here
        ("%", set()),  # LIKE's wildcards are literal characters
        ("_", set()),
        ("nobody", set()),
    ],
)
def test_free_text_searches_the_sidecars_task_fields(
    searchable: SearchWorld, q: str, expected: set[str]
) -> None:
    assert _names(searchable, {"q": q}) == expected


def test_free_text_finds_a_part_of_a_task_id(searchable: SearchWorld) -> None:
    body = ok(searchable.search({"q": "ravi"}))
    task_id = body["items"][0]["task_id"]
    assert _names(searchable, {"q": task_id[-12:].upper()}) == searchable.names(body["items"][:1])


def test_filters_combine(searchable: SearchWorld) -> None:
    sw, w = searchable, searchable.w
    assert _names(sw, {"status": "needs_inspection", "label": "night-shift"}) == {"gappy"}
    both = {"robot_id": w.robots[1]["id"], "failed_check": "gaps", "q": "ravi"}
    assert _names(sw, both) == {"socks"}
    assert _names(sw, {"q": "ravi", "score_max": 0.9, "label": "occluded"}) == {"gappy"}
    assert _names(sw, {"q": "ravi", "status": "rejected"}) == set()


def test_items_carry_labels_and_failed_checks(searchable: SearchWorld) -> None:
    items = {e["id"]: e for e in ok(searchable.search({}))["items"]}
    gappy, bad = items[searchable.ids["gappy"]], items[searchable.ids["bad"]]
    assert gappy["labels"] == ["night-shift", "occluded"]
    assert gappy["failed_checks"] == ["gaps"]
    assert bad["failed_checks"] == ["image_integrity", "required_topics"]
    assert bad["labels"] == []


def test_paging_keeps_the_total(searchable: SearchWorld) -> None:
    first = ok(searchable.search({"limit": 2}))
    second = ok(searchable.search({"limit": 2, "offset": 2}))
    assert first["total"] == second["total"] == len(ALL)
    assert not {e["id"] for e in first["items"]} & {e["id"] for e in second["items"]}


def _csv(sw: SearchWorld, params: Any) -> list[dict[str, str]]:
    from tests.api.world import auth

    response = sw.w.client.get("/api/v1/episodes.csv", params=params, headers=auth(sw.inspector))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "episodes.csv" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert response.headers["x-total-count"] == str(len(rows))
    return rows


@pytest.mark.parametrize(
    "params",
    [{}, {"label": "night-shift"}, {"failed_check": "gaps", "score_min": 0.9}, {"q": "ravi"}],
)
def test_csv_export_equals_the_list(searchable: SearchWorld, params: dict[str, Any]) -> None:
    listed = ok(searchable.search(params))["items"]
    rows = _csv(searchable, params)
    assert [r["id"] for r in rows] == [e["id"] for e in listed]
    for row, item in zip(rows, listed, strict=True):
        assert row["status"] == item["status"]
        assert row["labels"] == " ".join(item["labels"])
        assert row["failed_checks"] == " ".join(item["failed_checks"])
        assert row["robot_id"] == item["robot_id"]
        score = item["qa_score"]
        assert row["qa_score"] == ("" if score is None else str(score))


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"score_min": 2}, "score_min", "less than or equal to 1"),
        ({"score_min": 0.8, "score_max": 0.2}, "", "score_min must not be above score_max"),
        ({"label": "bad label!"}, "label", "only letters a-z, digits"),
        ({"label": "x" * 65}, "label", "at most 64 characters"),
        ({"status": "lost"}, "status", "pending_qa"),
        ({"failed_check": "no spaces"}, "failed_check", "pattern"),
        ({"q": ""}, "q", "at least 1 character"),
        ({"colour": "red"}, "colour", "not permitted"),
        (
            {"landed_after": "2026-12-02T00:00:00Z", "landed_before": "2026-12-01T00:00:00Z"},
            "",
            "landed_after must be before landed_before",
        ),
    ],
)
def test_bad_filters_are_a_422_that_says_why(
    searchable: SearchWorld, params: dict[str, Any], field: str, words: str
) -> None:
    for path in ("/api/v1/episodes", "/api/v1/episodes.csv"):
        from tests.api.world import auth

        response = searchable.w.client.get(path, params=params, headers=auth(searchable.inspector))
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert words in error["message"] + str(error.get("details")), error
        if field:
            assert field in str(error), error


def test_the_labels_in_use_are_the_callers_with_their_counts(searchable: SearchWorld) -> None:
    from tests.api.world import auth

    path = "/api/v1/episode-labels"
    got = ok(searchable.w.client.get(path, headers=auth(searchable.inspector)))
    assert got == [{"label": "night-shift", "episodes": 2}, {"label": "occluded", "episodes": 1}]
    collector = searchable.w.login(searchable.w.collectors[1]["username"])
    mine = ok(searchable.w.client.get(path, headers=auth(collector)))  # station 1's only
    assert mine == [{"label": "night-shift", "episodes": 1}]
