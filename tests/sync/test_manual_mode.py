"""KEYSTONE_SYNC_MODE=manual: approved episodes wait for an operator, who queues one, a
filtered set or all of them through the API, after a preview."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from keystone_api.settings import Settings, get_settings
from tests.api.world import World, auth, ok
from tests.sync.conftest import Cloud
from tests.sync.helpers import approve, drain_all, flag, landed, sync_rows

pytestmark = pytest.mark.usefixtures("drained")


@pytest.fixture
def manual_mode(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("KEYSTONE_SYNC_MODE", "manual")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_operator_previews_then_queues_one_a_filtered_set_and_all(
    manual_mode: None,
    world: World,
    s3: Any,
    cloud: Cloud,
    sync_settings: Callable[..., Settings],
) -> None:
    w, client = world, world.client
    operator = w.user("operator")
    first = w.order(target=3)
    one, two = approve(landed(w, s3)), approve(landed(w, s3, station=1))
    flagged = flag(landed(w, s3))
    second = w.order(target=2)
    three = approve(landed(w, s3))
    ids = [one["id"], two["id"], three["id"]]
    assert {r.state.value for r in sync_rows(ids).values()} == {"waiting"}
    status = ok(client.get("/api/v1/sync/status", headers=auth(operator)))
    assert status["mode"] == "manual" and status["counts"]["waiting"] >= 3

    drain_all(sync_settings())
    assert not set(ids) & set(cloud.episodes())  # nothing goes until an operator says so

    def post(path: str, body: dict[str, Any], status: int = 200) -> Any:
        return ok(client.post(f"/api/v1/sync/{path}", json=body, headers=auth(operator)), status)

    assert (
        client.post("/api/v1/sync/queue", json={}, headers=auth(operator)).status_code == 422
    )  # no selector: never "everything" by accident
    named = post("queue/preview", {"episode_ids": [one["id"], flagged["id"]]})
    assert named["count"] == 1 and named["episode_ids"] == [one["id"]]
    assert named["skipped"][0]["episode_id"] == flagged["id"]
    assert "needs_inspection" in named["skipped"][0]["reason"]
    assert sync_rows([one["id"]])[one["id"]].state.value == "waiting"  # a preview changes nothing

    assert post("queue", {"episode_ids": [one["id"]]})["queued"] == 1
    drain_all(sync_settings())
    assert one["id"] in cloud.episodes() and two["id"] not in cloud.episodes()

    by_order = post("queue/preview", {"order_id": first["id"]})
    assert by_order["episode_ids"] == [two["id"]]
    assert post("queue", {"order_id": first["id"]})["episode_ids"] == [two["id"]]
    preview_all = post("queue/preview", {"all": True, "factory_id": w.factory_id})
    assert preview_all["episode_ids"] == [three["id"]] and preview_all["bytes_total"] > 0
    assert second["id"] == three["order_id"]
    assert post("queue", {"all": True, "factory_id": w.factory_id})["queued"] == 1
    drain_all(sync_settings())
    assert set(ids) <= set(cloud.episodes())
    assert flagged["id"] not in cloud.episodes()
    detail = ok(client.get(f"/api/v1/sync/episodes/{three['id']}", headers=auth(operator)))
    assert detail["state"] == "synced" and detail["attempt_log"][0]["outcome"] == "synced"
    collector = w.login(w.collectors[0]["username"])
    assert (
        client.post("/api/v1/sync/queue", json={"all": True}, headers=auth(collector)).status_code
        == 403
    )
