"""A factory whose episodes differ in every way the episode search filters on, built
through the real API (landing, QA results through record_qa_result, an inspector's
rejection, labels through the label routes):

name  station order: scene / skill   sidecar task   QA                    status        labels
calm  0       A: Kitchen / fold      Zoë Ångström   1.00 all passed       auto_approved -
gappy 0       A                      Ravi Kumar     0.50 gaps failed      needs_insp.   night-shift,
                                                                                        occluded
bad   0       A                      -              0.40 image + topics   rejected      -
socks 1       B: Laundry / socks     Ravi Kumar     0.95 gaps failed      auto_approved night-shift
fresh 1       A                      -              (not assessed)        pending_qa    -
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from keystone_api.settings import get_settings
from keystone_api.storage.layout import axon_keys
from tests.api import flows
from tests.api.world import World, auth, build_world, ok
from tests.dashboard.seed import inspect
from tests.support.objects import put_pair, sidecar_for

DATA = b"\x89MCAP0\r\n" + b"x" * 1016


@dataclass
class SearchWorld:
    w: World
    inspector: str  # a token of an inspector of this factory
    ids: dict[str, str] = field(default_factory=dict)  # name -> episode id
    scene_b: str = ""
    skill_b: str = ""

    def names(self, episodes: list[dict[str, Any]]) -> set[str]:
        by_id = {v: k for k, v in self.ids.items()}
        return {by_id[e["id"]] for e in episodes}

    def search(self, params: Any, token: str | None = None) -> httpx.Response:
        return self.w.client.get(
            "/api/v1/episodes", params=params, headers=auth(token or self.inspector)
        )


def _record(w: World, s3: Any, station: int, task_fields: dict[str, Any]) -> dict[str, Any]:
    _, _, cfg = flows.take_task(w, station)
    ok(flows.callback(w, "start", flows.start_body(cfg), cfg["user_token"]))
    ok(flows.callback(w, "finish", flows.finish_body(cfg), cfg["user_token"]))
    key = axon_keys(
        w.factory_id, cfg["device_id"], datetime.now(UTC).strftime("%Y-%m-%d"), cfg["task_id"]
    )
    sidecar = copy.deepcopy(sidecar_for(cfg["task_id"], DATA))
    sidecar["task"].update(task_fields)
    put_pair(s3, get_settings().bucket_for(w.factory_id), key, DATA, sidecar)
    body = {"task_id": cfg["task_id"], "mcap_key": key.mcap_key}
    return ok(w.client.post("/api/v1/episodes/landed", json=body, headers=auth(w.admin)), 201)


def _second_order(w: World) -> tuple[str, str]:
    """Order B: another scene and skill, handed out first, at station 1 only."""
    scene = w.post("/api/v1/scenes", {"factory_id": w.factory_id, "name": "Laundry"})["id"]
    skill = w.post("/api/v1/skills", {"organization_id": w.org_id, "name": "sort socks"})["id"]
    subscene = w.post(
        "/api/v1/subscenes",
        {
            "scene_id": scene,
            "robot_type_id": w.robot_type_id,
            "name": "Basket",
            "skill_ids": [skill],
        },
    )["id"]
    sop = w.post(
        "/api/v1/sops",
        {"skill_id": skill, "subscene_id": subscene, "name": "Sort v1", "steps": ["pick"]},
    )["id"]
    w.order(
        target=1,
        subscene_id=subscene,
        sop_id=sop,
        priority=10,
        workstation_ids=[w.workstations[1]["id"]],
        name="Socks",
    )
    return scene, skill


def build_search_world(client: httpx.Client, s3: Any) -> SearchWorld:
    w = build_world(client)
    sw = SearchWorld(w=w, inspector=w.user("inspector"))
    w.order(target=8, name="Towels")
    sw.scene_b, sw.skill_b = _second_order(w)
    plan = [
        ("calm", 0, {"operator_name": "Zoë Ångström", "skills": ["fold towel"]}, 1.0, ()),
        ("gappy", 0, {"operator_name": "Ravi Kumar"}, 0.5, ("gaps",)),
        ("bad", 0, {}, 0.4, ("image_integrity", "required_topics")),
        ("socks", 1, {"operator_name": "Ravi Kumar", "skills": ["sort socks"]}, 0.95, ("gaps",)),
        ("fresh", 1, {}, None, ()),
    ]
    for name, station, fields, score, failing in plan:
        sw.ids[name] = _record(w, s3, station, fields)["id"]
        if score is not None:
            flows.record_qa(sw.ids[name], score, failing)
    inspect(w, sw.ids["bad"], "reject", "camera dark")
    for name, label in (("gappy", "night-shift"), ("gappy", "occluded"), ("socks", "Night Shift")):
        ok(
            client.post(
                f"/api/v1/episodes/{sw.ids[name]}/labels",
                json={"label": label},
                headers=auth(sw.inspector),
            )
        )
    return sw
