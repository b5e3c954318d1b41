"""Labels on episodes over HTTP: inspectors, operators and admins set and remove them
(normalized, validated), everyone who may read the episode reads them back (the detail,
the list, GET .../labels with who and when); a collector or a robot may not set them; and
they travel to the cloud in the delivery's catalog facts."""

from __future__ import annotations

from typing import Any

import pytest

from keystone_api.db.engine import get_sessionmaker
from keystone_api.episodes.models import Episode
from keystone_api.sync.episode_facts import catalog_facts
from tests.api import flows
from tests.api.world import World, auth, build_world, ok


@pytest.fixture
def labelled(world: World, s3: Any) -> tuple[World, str]:
    world.order(target=2)
    return world, flows.record_one(world, s3, 0)["id"]


def _labels(w: World, episode_id: str, token: str) -> Any:
    return w.client.get(f"/api/v1/episodes/{episode_id}/labels", headers=auth(token))


def _add(w: World, episode_id: str, label: str, token: str) -> Any:
    return w.client.post(
        f"/api/v1/episodes/{episode_id}/labels", json={"label": label}, headers=auth(token)
    )


def _remove(w: World, episode_id: str, label: str, token: str) -> Any:
    return w.client.delete(f"/api/v1/episodes/{episode_id}/labels/{label}", headers=auth(token))


def test_an_inspector_sets_reads_back_and_removes_labels(labelled: tuple[World, str]) -> None:
    w, episode_id = labelled
    inspector = w.user("inspector", name=f"insp-{episode_id[-8:]}")
    rows = ok(_add(w, episode_id, "  Camera Occluded ", inspector))
    assert [r["label"] for r in rows] == ["camera-occluded"]
    assert rows[0]["created_by"] == f"insp-{episode_id[-8:]}"
    assert rows[0]["created_at"]
    again = ok(_add(w, episode_id, "camera-occluded", inspector))  # idempotent
    assert again == rows
    ok(_add(w, episode_id, "customer:acme", inspector))

    detail = ok(w.client.get(f"/api/v1/episodes/{episode_id}", headers=auth(inspector)))
    assert detail["labels"] == ["camera-occluded", "customer:acme"]
    listed = ok(
        w.client.get("/api/v1/episodes", params={"label": "customer:acme"}, headers=auth(inspector))
    )
    assert [e["id"] for e in listed["items"]] == [episode_id]
    assert [r["label"] for r in ok(_labels(w, episode_id, inspector))] == [
        "camera-occluded",
        "customer:acme",
    ]

    left = ok(_remove(w, episode_id, "Camera Occluded", inspector))
    assert [r["label"] for r in left] == ["customer:acme"]
    gone = _remove(w, episode_id, "camera-occluded", inspector)
    assert gone.status_code == 404, gone.text
    assert "has no label 'camera-occluded'" in gone.json()["error"]["message"]
    detail = ok(w.client.get(f"/api/v1/episodes/{episode_id}", headers=auth(inspector)))
    assert detail["labels"] == ["customer:acme"]


@pytest.mark.parametrize("role", ["admin", "operator"])
def test_admins_and_operators_label_too(labelled: tuple[World, str], role: str) -> None:
    w, episode_id = labelled
    token = w.user(role)
    assert [r["label"] for r in ok(_add(w, episode_id, "rerun", token))] == ["rerun"]
    assert ok(_remove(w, episode_id, "rerun", token)) == []


def test_a_collector_or_a_robot_cannot_label(labelled: tuple[World, str]) -> None:
    w, episode_id = labelled
    collector = w.login(w.collectors[0]["username"])
    robot = flows.robot_token(w.robots[0]["id"])
    ok(_add(w, episode_id, "kept", w.user("inspector")))
    for token in (collector, robot):
        refused = _add(w, episode_id, "mine", token)
        assert refused.status_code == 403, refused.text
        refused = _remove(w, episode_id, "kept", token)
        assert refused.status_code == 403, refused.text
    # The collector of that station reads them (as it reads the episode).
    assert [r["label"] for r in ok(_labels(w, episode_id, collector))] == ["kept"]


def test_another_factorys_inspector_sees_no_such_episode(
    labelled: tuple[World, str], client: Any
) -> None:
    w, episode_id = labelled
    other = build_world(client, stations=1)
    stranger = other.user("inspector")
    for response in (
        _add(w, episode_id, "x", stranger),
        _labels(w, episode_id, stranger),
        _remove(w, episode_id, "x", stranger),
    ):
        assert response.status_code == 404, response.text


@pytest.mark.parametrize(
    ("label", "words"),
    [
        ("", "may not be empty"),
        ("   ", "may not be empty"),
        ("x" * 65, "at most 64 characters"),
        ("über", "only letters a-z, digits"),
        ("-leading", "starting with a letter or digit"),
        ("semi;colon", "only letters a-z, digits"),
        ("new\nline", "only letters a-z, digits"),
    ],
)
def test_a_bad_label_is_a_422_that_says_why(
    labelled: tuple[World, str], label: str, words: str
) -> None:
    w, episode_id = labelled
    response = _add(w, episode_id, label, w.admin)
    assert response.status_code == 422, response.text
    assert words in response.json()["error"]["message"], response.json()
    assert ok(_labels(w, episode_id, w.admin)) == []


def test_a_bad_label_in_the_path_is_a_422(labelled: tuple[World, str]) -> None:
    w, episode_id = labelled
    response = _remove(w, episode_id, "no%20such%21", w.admin)
    assert response.status_code == 422, response.text
    assert "only letters a-z" in response.json()["error"]["message"]


def test_unknown_fields_are_refused(labelled: tuple[World, str]) -> None:
    w, episode_id = labelled
    response = w.client.post(
        f"/api/v1/episodes/{episode_id}/labels",
        json={"label": "ok", "colour": "red"},
        headers=auth(w.admin),
    )
    assert response.status_code == 422, response.text


def test_labels_travel_in_the_catalog_facts(labelled: tuple[World, str]) -> None:
    w, episode_id = labelled
    for label in ("night-shift", "Customer:ACME"):
        ok(_add(w, episode_id, label, w.admin))
    with get_sessionmaker()() as session:
        episode = session.get(Episode, episode_id)
        assert episode is not None
        facts = catalog_facts(session, episode)
    assert facts["labels"] == ["customer:acme", "night-shift"]
