"""Names that show one thing and are another are refused with a clear 422: controls (NUL,
line breaks in a name) and the bidirectional overrides that reorder what a screen shows;
device ids that are path segments ('.', '..') or start with one. Free text keeps its line
breaks and tabs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.world import auth, ok

BAD_NAMES = ["a\x00b", "line\nbreak", "tab\there", "evil\u202egnp.exe", "iso\u2066late", "\x7f"]


@pytest.fixture
def client(in_process_client: TestClient) -> TestClient:
    """Requests and answers against the database only: the app in-process, rolled back."""
    return in_process_client


@pytest.mark.parametrize("name", BAD_NAMES)
def test_names_with_controls_or_bidi_overrides_are_refused(world, name: str) -> None:
    w = world
    for path, body in (
        ("/api/v1/scenes", {"factory_id": w.factory_id, "name": name}),
        ("/api/v1/factories", {"organization_id": w.org_id, "name": name}),
        (
            "/api/v1/robots",
            {"factory_id": w.factory_id, "robot_type_id": w.robot_type_id, "name": name},
        ),
        (
            "/api/v1/orders",
            {
                "factory_id": w.factory_id,
                "subscene_id": w.subscene_id,
                "sop_id": w.sop_id,
                "target_episodes": 1,
                "name": name,
            },
        ),
    ):
        response = w.client.post(path, json=body, headers=auth(w.admin))
        assert response.status_code == 422, (path, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_error" and "may not contain" in error["message"]


@pytest.mark.parametrize("device_id", [".", "..", "../x", "-rf", ".hidden", "a/b", "a b"])
def test_device_ids_that_are_not_plain_ids_are_refused(world, device_id: str) -> None:
    w = world
    body = {"factory_id": w.factory_id, "robot_type_id": w.robot_type_id, "device_id": device_id}
    response = w.client.post("/api/v1/robots", json=body, headers=auth(w.admin))
    assert response.status_code == 422, response.text


def test_plain_names_and_multi_line_text_are_kept(world) -> None:
    w = world
    scene = ok(
        w.client.post(
            "/api/v1/scenes",
            json={"factory_id": w.factory_id, "name": "Küche 2 — 厨房", "description": "a\n\tb"},
            headers=auth(w.admin),
        ),
        201,
    )
    assert scene["name"] == "Küche 2 — 厨房" and scene["description"] == "a\n\tb"
    robot = ok(
        w.client.post(
            "/api/v1/robots",
            json={
                "factory_id": w.factory_id,
                "robot_type_id": w.robot_type_id,
                "device_id": "AB-F0099-T0001-000001.v2",
            },
            headers=auth(w.admin),
        ),
        201,
    )
    assert robot["device_id"] == "AB-F0099-T0001-000001.v2"


def test_the_openapi_document_states_the_refused_characters(client) -> None:  # type: ignore[no-untyped-def]
    """Clients (and the fuzzer's valid inputs) learn the rule from the schema: its pattern
    refuses exactly what the API refuses."""
    import re

    spec = client.get("/openapi.json").json()["components"]["schemas"]
    name = re.compile(spec["SceneIn"]["properties"]["name"]["pattern"])
    text = re.compile(spec["SceneIn"]["properties"]["description"]["pattern"])
    assert not any(name.search(bad) for bad in BAD_NAMES)
    assert name.search("Kitchen line A · 厨房") and text.search("step 1\n\tstep 2\r\n")
    assert not text.search("evil\u202egnp") and not text.search("nul\x00")
