"""Bulk decisions: an inspector previews a filtered set of the inspection queue, then
decides exactly that set with one reason; a set that changed in between is refused (409)
with a fresh preview, and nothing is decided."""

from __future__ import annotations

from typing import Any

from tests.api.world import World, auth, ok
from tests.inspection.helpers import episode, flagged, inspect


def _post(w: World, token: str, path: str, body: dict[str, Any], status: int = 200) -> Any:
    return ok(w.client.post(f"/api/v1/inspection/{path}", json=body, headers=auth(token)), status)


def test_a_bulk_decision_touches_exactly_the_previewed_set(world, s3) -> None:
    w = world
    w.order(target=8)
    inspector = w.user("inspector")
    gaps_here = [flagged(w, s3, 0), flagged(w, s3, 0)]
    other_check = flagged(w, s3, 0, failing=("duration",))
    other_station = flagged(w, s3, 1)
    station = w.workstations[0]["id"]
    filters = {"failed_check": "gaps", "workstation_id": station}

    queue = ok(w.client.get("/api/v1/inspection/queue", params=filters, headers=auth(inspector)))
    assert sorted(i["episode"]["id"] for i in queue["items"]) == sorted(gaps_here)
    assert not any(i["spot_check"] for i in queue["items"])

    preview = _post(w, inspector, "bulk/preview", {"filters": filters})
    assert preview["count"] == 2 and sorted(preview["episode_ids"]) == sorted(gaps_here)
    assert preview["spot_checks"] == 0 and len(preview["token"]) == 64
    assert episode(w, gaps_here[0])["status"] == "needs_inspection"  # a preview decides nothing

    body = {
        "filters": filters,
        "token": preview["token"],
        "decision": "reject",
        "reason": "gaps from the old camera driver",
    }
    done = _post(w, inspector, "bulk", body)
    assert done["decided"] == 2 and sorted(done["episode_ids"]) == sorted(gaps_here)
    assert done["all_or_nothing"] is True
    for episode_id in gaps_here:
        detail = episode(w, episode_id)
        assert detail["status"] == "rejected"
        (decision,) = detail["decisions"]
        assert decision["reason"] == "gaps from the old camera driver"
        assert decision["source"] == "api-bulk" and decision["decision"] == "reject"
        assert "bulk decision over 2 episodes" in decision["notes"]
    for untouched in (other_check, other_station):
        assert episode(w, untouched)["status"] == "needs_inspection"
        assert episode(w, untouched)["decisions"] == []


def test_a_set_that_changed_since_the_preview_is_refused_with_a_new_preview(world, s3) -> None:
    w = world
    w.order(target=8)
    inspector = w.user("inspector")
    first = [flagged(w, s3, 1), flagged(w, s3, 1)]
    filters = {"workstation_id": w.workstations[1]["id"], "score_min": 0.4, "score_max": 0.6}
    preview = _post(w, inspector, "bulk/preview", {"filters": filters})
    assert preview["count"] == 2

    arrived = flagged(w, s3, 1)  # a new flagged episode falls in the filter
    body = {"filters": filters, "token": preview["token"], "decision": "approve", "reason": "ok"}
    refused = w.client.post("/api/v1/inspection/bulk", json=body, headers=auth(inspector))
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert "changed since the preview" in error["message"]
    fresh = error["details"]["preview"]
    assert fresh["count"] == 3 and arrived in fresh["episode_ids"]
    for episode_id in [*first, arrived]:
        assert episode(w, episode_id)["status"] == "needs_inspection"  # nothing decided

    # One of the set decided by hand in between: the fresh token is refused in turn.
    ok(inspect(w, inspector, first[0], "approve"))
    again = w.client.post(
        "/api/v1/inspection/bulk", json={**body, "token": fresh["token"]}, headers=auth(inspector)
    )
    assert again.status_code == 409
    latest = again.json()["error"]["details"]["preview"]
    assert sorted(latest["episode_ids"]) == sorted([first[1], arrived])
    done = _post(w, inspector, "bulk", {**body, "token": latest["token"]})
    assert sorted(done["episode_ids"]) == sorted([first[1], arrived])
    assert {episode(w, e)["status"] for e in first + [arrived]} == {"inspector_approved"}


def test_bad_bulk_input_gets_a_clear_error(world, s3) -> None:
    w = world
    w.order(target=2)
    inspector = w.user("inspector")
    flagged(w, s3, 0)
    filters = {"workstation_id": w.workstations[0]["id"]}
    preview = _post(w, inspector, "bulk/preview", {"filters": filters})

    def refused(body: dict[str, Any], status: int = 422) -> str:
        got = w.client.post("/api/v1/inspection/bulk", json=body, headers=auth(inspector))
        assert got.status_code == status, got.text
        return str(got.json()["error"])

    base = {"filters": filters, "token": preview["token"], "decision": "reject"}
    assert "reason" in refused({**base, "reason": ""})  # one reason, always
    assert "token" in refused({**base, "reason": "x", "token": "abc"})
    assert "decision" in refused({**base, "reason": "x", "decision": "maybe"})
    assert "score_min" in refused(
        {**base, "reason": "x", "filters": {"score_min": 0.8, "score_max": 0.2}}
    )
    assert "landed_after" in refused(
        {
            **base,
            "reason": "x",
            "filters": {
                "landed_after": "2026-01-02T00:00:00Z",
                "landed_before": "2026-01-01T00:00:00Z",
            },
        }
    )
    assert "colour" in refused({**base, "reason": "x", "filters": {"colour": "red"}})
    empty = {"robot_id": "no-such-robot"}
    nothing = _post(w, inspector, "bulk/preview", {"filters": empty})
    assert nothing["count"] == 0
    assert "no episode" in refused(
        {"filters": empty, "token": nothing["token"], "decision": "approve", "reason": "x"}
    )
    collector = w.login(w.collectors[0]["username"])
    got = w.client.post(
        "/api/v1/inspection/bulk/preview", json={"filters": filters}, headers=auth(collector)
    )
    assert got.status_code == 403
