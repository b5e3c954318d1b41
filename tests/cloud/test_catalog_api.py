"""The episode catalog's API on a real cloud (`keystone api` in the cloud role, MariaDB,
SeaweedFS): filters, paging, detail, downloads that work against the store, and who may read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from keystone_api.ids import new_id
from tests.cloud.deliveries import admin, deliver, facts, get, post_delivery, reader
from tests.sync.conftest import Cloud

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def ids(page: dict[str, Any]) -> list[str]:
    return [e["episode_id"] for e in page["items"]]


def catalog(cloud: Cloud, token: str, **params: Any) -> dict[str, Any]:
    response = get(cloud, "/api/v1/catalog/episodes", token, **params)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.fixture(scope="module")
def fleet(cloud: Cloud) -> dict[str, Any]:
    """Two factories' episodes, one hour apart, each with what the filters look at."""
    f1, f2 = f"f1-{new_id()[-8:]}", f"f2-{new_id()[-8:]}"
    plan = [
        (f1, dict(scene="Kitchen", skills=["grasp", "pour"], qa_score=0.97, labels=["night"])),
        (f1, dict(scene="Kitchen", skills=["grasp"], qa_score=0.91)),
        (f1, dict(scene="Laundry", skills=["fold"], qa_score=0.72, robot_type="Axon Arm")),
        (
            f1,
            dict(
                scene="Laundry", skills=["fold", "grasp"], labels=["night", "review"], qa_score=None
            ),
        ),
        (f2, dict(scene="Kitchen", skills=["grasp"], qa_score=0.99, factory_name="Other")),
    ]
    sent = [
        deliver(cloud, factory, T0 + timedelta(hours=i), facts(**values))
        for i, (factory, values) in enumerate(plan)
    ]
    return {"f1": f1, "f2": f2, "ids": [d["episode_id"] for d in sent], "sent": sent}


def test_filters_narrow_the_list(cloud: Cloud, fleet: dict[str, Any]) -> None:
    token, f1, e = reader(), fleet["f1"], fleet["ids"]
    mine = catalog(cloud, token, factory_id=f1)
    assert ids(mine) == [e[3], e[2], e[1], e[0]] and mine["total"] == 4  # newest approval first
    assert ids(catalog(cloud, token, factory_id=f1, order="oldest")) == e[:4]
    # Across factories: both are there.
    everything = ids(catalog(cloud, token, limit=500))
    assert set(e) <= set(everything)

    assert ids(catalog(cloud, token, factory_id=f1, scene="Laundry")) == [e[3], e[2]]
    assert ids(catalog(cloud, token, factory_id=f1, robot_type="Axon Arm")) == [e[2]]
    assert ids(catalog(cloud, token, scene="Kitchen", skill="pour")) == [e[0]]
    # Repeated skills or labels: episodes with all of them.
    assert ids(catalog(cloud, token, factory_id=f1, skill=["fold", "grasp"])) == [e[3]]
    assert ids(catalog(cloud, token, factory_id=f1, label="night")) == [e[3], e[0]]
    assert ids(catalog(cloud, token, factory_id=f1, label=["night", "review"])) == [e[3]]
    # Scores: inclusive bounds; an episode without a score matches no score range.
    assert ids(catalog(cloud, token, factory_id=f1, score_min=0.9)) == [e[1], e[0]]
    assert ids(catalog(cloud, token, factory_id=f1, score_min=0.72, score_max=0.91)) == [
        e[2],
        e[1],
    ]
    # Approval time: from is inclusive, to is exclusive.
    window = {"approved_from": (T0 + timedelta(hours=1)).isoformat()}
    window["approved_to"] = (T0 + timedelta(hours=3)).isoformat()
    assert ids(catalog(cloud, token, factory_id=f1, **window)) == [e[2], e[1]]


def test_pages_are_stable_and_counted(cloud: Cloud, fleet: dict[str, Any]) -> None:
    token, e = reader(), fleet["ids"]
    first = catalog(cloud, token, factory_id=fleet["f1"], limit=3)
    second = catalog(cloud, token, factory_id=fleet["f1"], limit=3, offset=3)
    assert (first["total"], second["total"]) == (4, 4)
    assert ids(first) + ids(second) == [e[3], e[2], e[1], e[0]]
    row = first["items"][0]
    assert row["skills"] == ["fold", "grasp"] and row["labels"] == ["night", "review"]
    assert row["duration_s"] == 12.5 and row["mcap_size_bytes"] == 2048


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"score_min": 0.9, "score_max": 0.5}, "score_min"),
        ({"score_min": 1.5}, "score_min"),
        ({"approved_from": "2026-11-20T08:00:00"}, "approved_from"),  # no time zone
        ({"approved_from": "2026-11-21T00:00:00Z", "approved_to": "2026-11-20T00:00:00Z"}, ""),
        ({"limit": 501}, "limit"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_filters_are_refused_with_the_reason(
    cloud: Cloud, params: dict[str, Any], named: str
) -> None:
    response = get(cloud, "/api/v1/catalog/episodes", reader(), **params)
    assert response.status_code == 422, response.text
    assert named in response.text


def test_detail_says_where_it_came_from_and_how_it_was_checked(cloud: Cloud) -> None:
    factory = f"fd-{new_id()[-8:]}"
    sent = facts(
        labels=["night"],
        qa_score=0.93,
        qa_checks=[
            {"name": "gaps", "passed": True, "score": 1.0, "detail": ""},
            {"name": "frames", "passed": False, "score": 0.6, "detail": "3 corrupt frames"},
        ],
    )
    finding = {"severity": "warning", "code": "EMPTY_SCHEMA", "message": "no text", "check": ""}
    body = deliver(cloud, factory, T0, sent, findings=[finding])
    got = get(cloud, f"/api/v1/catalog/episodes/{body['episode_id']}", reader())
    assert got.status_code == 200, got.text
    detail = got.json()
    origin = detail["origin"]
    for name in ("task_id", "order_id", "batch_id", "workstation_id", "robot_id"):
        assert origin[name] == sent[name]
    assert (origin["factory_id"], origin["factory_name"]) == (factory, "Factory Test")
    assert (origin["workstation"], origin["device_id"]) == ("WS-01", "robot-0001")
    assert origin["delivered_by"].startswith("service:") and origin["lag_s"] > 0
    assert detail["qa_checks"] == sent["qa_checks"]
    assert [f["code"] for f in detail["qa_findings"]] == ["EMPTY_SCHEMA"]
    assert detail["findings"] == 1 and detail["qa_score"] == 0.93
    assert detail["mcap_sha256"] == body["checksum"]["mcap"]
    assert detail["sidecar"] == body["sidecar"]
    missing = get(cloud, f"/api/v1/catalog/episodes/{new_id()}", reader())
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_a_delivery_without_facts_is_catalogued_from_its_sidecar(cloud: Cloud) -> None:
    factory = f"fs-{new_id()[-8:]}"
    task = {"scene": "Garage", "subscene": "Shelf", "skills": ["lift"], "order_id": "o-1"}
    body = deliver(cloud, factory, T0, None, task=task)
    detail = get(cloud, f"/api/v1/catalog/episodes/{body['episode_id']}", reader()).json()
    assert (detail["scene"], detail["subscene"], detail["skills"]) == ("Garage", "Shelf", ["lift"])
    assert detail["origin"]["order_id"] == "o-1"
    assert detail["origin"]["task_id"] == body["sidecar"]["task"]["task_id"]
    assert detail["origin"]["device_id"] == "sidecar-device"
    assert detail["qa_score"] is None and detail["qa_checks"] == []
    assert ids(catalog(cloud, reader(), skill="lift", factory_id=factory)) == [body["episode_id"]]


@pytest.mark.parametrize(
    "bad",
    [{"qa_score": 1.5}, {"labels": ["x" * 101]}, {"skills": [""]}, {"colour": "red"}],
)
def test_catalog_facts_out_of_bounds_are_refused(cloud: Cloud, bad: dict[str, Any]) -> None:
    body = deliver(cloud, f"fb-{new_id()[-8:]}", T0, facts())
    body = {k: v for k, v in body.items() if k != "data"}
    body["episode_id"], body["catalog"] = new_id(), facts(**bad)
    response = post_delivery(cloud, body)
    assert response.status_code == 422, response.text
    assert "catalog" in response.text


def test_downloads_are_presigned_links_that_work_against_the_store(cloud: Cloud) -> None:
    body = deliver(cloud, f"fl-{new_id()[-8:]}", T0, facts())
    got = get(cloud, f"/api/v1/catalog/episodes/{body['episode_id']}/downloads", reader())
    assert got.status_code == 200, got.text
    answer = got.json()
    assert 0 < answer["expires_in"] <= 900
    links = {link["name"]: link for link in answer["links"]}
    assert set(links) == {"mcap", "sidecar"}
    # No bearer token: the signature in the URL is the whole credential.
    mcap = httpx.get(links["mcap"]["url"], timeout=30)
    assert mcap.status_code == 200 and mcap.content == body["data"]
    assert f'filename="{body["episode_id"]}.mcap"' in mcap.headers["content-disposition"]
    assert links["mcap"]["sha256"] == body["checksum"]["mcap"]
    sidecar = httpx.get(links["sidecar"]["url"], timeout=30)
    assert sidecar.status_code == 200 and sidecar.json() == body["sidecar"]
    # A tampered signature is refused by the store itself.
    forged = links["mcap"]["url"].replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert httpx.get(forged, timeout=30).status_code == 403


def test_a_reader_bound_to_a_factory_sees_only_that_factory(
    cloud: Cloud, fleet: dict[str, Any]
) -> None:
    token = reader(factory_id=fleet["f2"])
    assert ids(catalog(cloud, token, limit=500)) == [fleet["ids"][4]]
    assert catalog(cloud, token, factory_id=fleet["f1"])["total"] == 0
    other = fleet["ids"][0]
    for path in (
        f"/api/v1/catalog/episodes/{other}",
        f"/api/v1/catalog/episodes/{other}/downloads",
    ):
        assert get(cloud, path, token).status_code == 404
    assert get(cloud, f"/api/v1/catalog/factories/{fleet['f1']}", token).status_code == 404
    summaries = get(cloud, "/api/v1/catalog/factories", token).json()
    assert [s["factory_id"] for s in summaries] == [fleet["f2"]]


def test_factory_summary_counts_what_arrived_and_how_late(
    cloud: Cloud, fleet: dict[str, Any]
) -> None:
    got = get(cloud, f"/api/v1/catalog/factories/{fleet['f1']}", admin())
    assert got.status_code == 200, got.text
    summary = got.json()
    sent = fleet["sent"][:4]
    assert summary["episodes"] == 4 and summary["factory_name"] == "Factory Test"
    assert summary["bytes"] == sum(len(d["data"]) for d in sent) + sum(
        cloud.s3.head_object(Bucket=cloud.bucket, Key=d["objects"]["sidecar"])["ContentLength"]
        for d in sent
    )
    assert summary["last_approved_at"].startswith("2026-11-20T11:00:00")
    assert summary["last_24h"]["episodes"] == 4  # they all arrived just now
    assert [d["episodes"] for d in summary["days"]] == [4]
    # Approved on 2026-11-20, arrived today: the lag is at least the days in between.
    lag = summary["lag"]
    assert lag["sample"] == 4 and lag["median_s"] <= lag["p95_s"] <= lag["max_s"]
    least = (datetime.now(UTC) - (T0 + timedelta(hours=3))).total_seconds() - 3600
    assert lag["max_s"] > least
    assert {s["name"]: s["episodes"] for s in summary["scenes"]} == {"Kitchen": 2, "Laundry": 2}
    assert {r["name"] for r in summary["robot_types"]} == {"Axon Demo", "Axon Arm"}
    listed = {s["factory_id"]: s for s in get(cloud, "/api/v1/catalog/factories", admin()).json()}
    assert listed[fleet["f1"]]["episodes"] == 4 and listed[fleet["f2"]]["factory_name"] == "Other"
    unknown = get(cloud, f"/api/v1/catalog/factories/{new_id()}", admin())
    assert unknown.status_code == 404


def test_facets_name_the_values_the_filters_can_take(cloud: Cloud, fleet: dict[str, Any]) -> None:
    got = get(cloud, "/api/v1/catalog/facets", reader(), factory_id=fleet["f1"])
    assert got.status_code == 200, got.text
    assert got.json() == {
        "scenes": ["Kitchen", "Laundry"],
        "robot_types": ["Axon Arm", "Axon Demo"],
        "skills": ["fold", "grasp", "pour"],
        "labels": ["night", "review"],
    }
    bound = get(cloud, "/api/v1/catalog/facets", reader(factory_id=fleet["f2"])).json()
    assert bound["scenes"] == ["Kitchen"] and bound["labels"] == []
    # A reader bound to f2 asking for f1 learns nothing of it.
    other = get(
        cloud, "/api/v1/catalog/facets", reader(factory_id=fleet["f2"]), factory_id=fleet["f1"]
    )
    assert other.json() == {"scenes": [], "robot_types": [], "skills": [], "labels": []}
    assert get(cloud, "/api/v1/catalog/facets", reader(), factory_id="").status_code == 422
