"""Spot checks: a robot type's share of auto-approved episodes also goes to an inspector,
sampled by a hash of the episode id (reproducible); held from sync until decided (or not,
by a setting); the agreement rate per robot type."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from keystone_api.episodes.spot_checks import sampled
from keystone_api.settings import get_settings
from tests.api.world import auth, ok
from tests.inspection.helpers import approved, episode, inspect, spot_share
from tests.sync.helpers import sync_rows


def test_sampling_is_deterministic_and_takes_the_share() -> None:
    ids = [f"0190c7a2-{i:04x}-7000-8000-000000000000" for i in range(20_000)]
    picked = [i for i in ids if sampled(i, 0.02)]
    assert picked == [i for i in ids if sampled(i, 0.02)]  # the same ids, every time
    assert 0.015 < len(picked) / len(ids) < 0.025
    assert not any(sampled(i, 0.0) for i in ids[:500])
    assert all(sampled(i, 1.0) for i in ids[:500])
    # A larger share keeps every id a smaller one took (raising it only adds episodes).
    assert set(picked) <= {i for i in ids if sampled(i, 0.05)}


def test_robot_type_share_is_validated_and_defaults(world) -> None:
    w = world
    detail = ok(w.client.get(f"/api/v1/robot-types/{w.robot_type_id}", headers=auth(w.admin)))
    assert detail["spot_check_share"] == get_settings().spot_check_share
    for bad in (1.5, -0.1, "many"):
        got = w.client.patch(
            f"/api/v1/robot-types/{w.robot_type_id}",
            json={"spot_check_share": bad},
            headers=auth(w.admin),
        )
        assert got.status_code == 422, bad
        assert "spot_check_share" in got.text


def test_a_spot_check_waits_for_an_inspector_then_syncs_or_is_rejected(world, s3) -> None:
    w = world
    w.order(target=6)
    inspector = w.user("inspector")
    spot_share(w, 1.0)
    agree, disagree = approved(w, s3), approved(w, s3)
    for episode_id in (agree, disagree):
        detail = episode(w, episode_id)
        assert detail["status"] == "auto_approved"  # stays approved by QA
        assert detail["spot_check"]["held"] is True and detail["spot_check"]["decided_at"] is None
    assert sync_rows([agree, disagree]) == {}  # held: not in the sync queue

    queue = ok(
        w.client.get(
            "/api/v1/inspection/queue", params={"kind": "spot_check"}, headers=auth(inspector)
        )
    )
    mine = {i["episode"]["id"]: i for i in queue["items"]}
    assert {agree, disagree} <= set(mine) and all(i["spot_check"] for i in mine.values())
    flagged_only = ok(
        w.client.get(
            "/api/v1/inspection/queue", params={"kind": "flagged"}, headers=auth(inspector)
        )
    )
    assert not {agree, disagree} & {i["episode"]["id"] for i in flagged_only["items"]}

    # An operator's manual queueing does not send a held episode either.
    operator = w.user("operator")
    preview = ok(
        w.client.post(
            "/api/v1/sync/queue/preview", json={"episode_ids": [agree]}, headers=auth(operator)
        )
    )
    assert preview["count"] == 0 and "spot check" in preview["skipped"][0]["reason"]

    ok(inspect(w, inspector, agree, "approve"))
    assert episode(w, agree)["status"] == "auto_approved"
    assert sync_rows([agree])[agree].state.value == "queued"  # released to the cloud
    ok(inspect(w, inspector, disagree, "reject", reason="gripper out of frame"))
    assert episode(w, disagree)["status"] == "rejected"
    assert sync_rows([disagree]) == {}
    # Decided: no second decision on either.
    assert inspect(w, inspector, agree, "reject", reason="again").status_code == 409

    rates = ok(w.client.get("/api/v1/inspection/spot-checks", headers=auth(inspector)))
    (mine_type,) = [r for r in rates if r["robot_type_id"] == w.robot_type_id]
    assert (mine_type["decided"], mine_type["agreed"], mine_type["waiting"]) == (2, 1, 0)
    assert mine_type["spot_check_agreement_rate"] == 0.5 and mine_type["share"] == 1.0


def test_an_unsampled_auto_approved_episode_is_not_inspectable(world, s3) -> None:
    w = world
    w.order(target=2)
    spot_share(w, 0.0)
    episode_id = approved(w, s3)
    assert episode(w, episode_id)["spot_check"] is None
    assert sync_rows([episode_id])[episode_id].state.value == "queued"
    got = inspect(w, w.user("inspector"), episode_id, "reject", reason="looks wrong")
    assert got.status_code == 409
    assert got.json()["error"]["details"]["current_status"] == "auto_approved"
    assert episode(w, episode_id)["status"] == "auto_approved"


@pytest.fixture
def no_hold(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("KEYSTONE_SPOT_CHECK_HOLD", "false")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_without_the_hold_a_spot_check_syncs_at_once_and_a_rejection_withdraws_it(
    no_hold: None, world, s3
) -> None:
    w = world
    w.order(target=3)
    spot_share(w, 1.0)
    episode_id = approved(w, s3)
    detail = episode(w, episode_id)
    assert detail["spot_check"]["held"] is False
    assert sync_rows([episode_id])[episode_id].state.value == "queued"
    inspector = w.user("inspector")
    queue = ok(
        w.client.get(
            "/api/v1/inspection/queue",
            params={"kind": "spot_check", "workstation_id": detail["workstation_id"]},
            headers=auth(inspector),
        )
    )
    assert [i["episode"]["id"] for i in queue["items"]] == [episode_id]
    ok(inspect(w, inspector, episode_id, "reject", reason="blurred"))
    assert episode(w, episode_id)["status"] == "rejected"
    assert sync_rows([episode_id]) == {}  # not yet sent: withdrawn from the queue
