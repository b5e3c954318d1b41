"""Who reaches what at the cloud. Every route of the cloud app refuses every forged, revoked or
edge-signed token with 401 (the edge's attack matrix, walked over the cloud's routes); a data
reader reaches the catalog and nothing else; the data_reader role exists at the cloud only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from fastapi.routing import iter_route_contexts

from keystone_api.settings import get_settings
from tests.api.forged import forge, forged_tokens
from tests.api.test_tokens_attack import PUBLIC as EDGE_PUBLIC
from tests.api.test_tokens_attack import _attack
from tests.api.world import World, auth, ok, tool_token
from tests.cloud.deliveries import admin, reader
from tests.sync.conftest import Cloud, cloud_settings, service_token

CATALOG_PAGES = {
    "/catalog",
    "/catalog/",
    "/catalog/episodes/{episode_id}",
    "/catalog/factories",
    "/catalog/factories/{factory_id}",
    "/catalog/static",
}
# The cloud's public routes are the edge's that it serves too (docs, health, login, the
# shared page assets) and the catalog's pages, which hold no data.
PUBLIC = EDGE_PUBLIC | CATALOG_PAGES
CATALOG_API = "/api/v1/catalog/"


@pytest.fixture(scope="module")
def cloud_routes() -> Iterator[list[tuple[str, str]]]:
    """(method, path) of every route of the app in the cloud role, public ones excepted."""
    from keystone_api.app import create_app

    with pytest.MonkeyPatch.context() as env:
        env.setenv("KEYSTONE_ROLE", "cloud")
        get_settings.cache_clear()
        try:
            app = create_app()
        finally:
            env.undo()
            get_settings.cache_clear()
    routes, paths = [], set()
    for route in iter_route_contexts(app.routes):
        path = str(route.path)
        paths.add(path)
        if path in PUBLIC:
            continue
        routes += [(m, path) for m in sorted(route.methods or ()) if m != "HEAD"]
    assert paths >= CATALOG_PAGES, CATALOG_PAGES - paths
    yield routes


def _jti(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["jti"])


def _revoked_cloud_tokens(cloud: Cloud) -> dict[str, str]:
    """A data reader's minted token, revoked; a data reader's login, after a password change."""
    client = httpx.Client(base_url=cloud.api, timeout=30)
    minted = reader()
    gone = client.delete(f"/api/v1/tokens/{_jti(minted)}", headers=auth(admin()))
    assert gone.status_code == 204, gone.text
    username, password = f"reader-{_jti(minted)[-8:]}", "a-good-password-1"
    user = ok(
        client.post(
            "/api/v1/users",
            json={"username": username, "password": password, "role": "data_reader"},
            headers=auth(admin()),
        ),
        201,
    )
    login = {"username": username, "password": password}
    token = ok(client.post("/api/v1/auth/login", json=login))["access_token"]
    change = {"password": "another-password-2"}
    ok(client.patch(f"/api/v1/users/{user['id']}", json=change, headers=auth(admin())))
    return {"revoked-reader-tool": minted, "reader-after-password-change": token}


def test_every_cloud_route_refuses_forged_revoked_and_edge_tokens(
    cloud: Cloud, cloud_routes: list[tuple[str, str]], world: World
) -> None:
    edge = get_settings()
    tokens = {
        **forged_tokens(cloud_settings()),
        **_revoked_cloud_tokens(cloud),
        # The edge's own tokens, valid there: another key, issuer and audience here.
        "edge-admin-login": world.admin,
        "edge-service-tool": tool_token("service"),
        "edge-signed-reader": forge(edge, kind="tool", role="data_reader"),
    }
    attempts: dict[str, dict[str, str]] = {"no-token": {}}
    attempts.update({name: auth(token) for name, token in tokens.items()})
    assert any(path.startswith(CATALOG_API) for _, path in cloud_routes)
    wrong = []
    with httpx.Client(base_url=cloud.api, timeout=30) as client:
        for method, path in cloud_routes:
            for name, headers in attempts.items():
                got = _attack(client, cloud.api, method, path, headers)
                if got != 401:
                    wrong.append(f"{method} {path} with {name}: {got}")
    assert not wrong, f"{len(wrong)} not refused with 401:\n" + "\n".join(wrong)


def test_a_data_reader_reaches_the_catalog_and_nothing_else(
    cloud: Cloud, cloud_routes: list[tuple[str, str]]
) -> None:
    token = reader()
    wrong = []
    with httpx.Client(base_url=cloud.api, timeout=30) as client:
        for method, path in cloud_routes:
            got: Any = _attack(client, cloud.api, method, path, auth(token))
            if path.startswith(CATALOG_API) or path == "/api/v1/auth/me":
                if got not in (200, 404):  # ids made up for the walk are not found
                    wrong.append(f"{method} {path}: {got}, expected to be let in")
            elif got != 403:
                wrong.append(f"{method} {path}: {got}, expected 403")
        # The sync receiver's service token is no reader either.
        for method, path in cloud_routes:
            if path.startswith(CATALOG_API):
                got = _attack(client, cloud.api, method, path, auth(service_token()))
                if got != 403:
                    wrong.append(f"service token {method} {path}: {got}, expected 403")
    assert not wrong, "\n".join(wrong)


def test_data_readers_are_made_at_the_cloud_only(cloud: Cloud, world: World) -> None:
    body = {
        "username": f"r-{_jti(reader())[-8:]}",
        "password": "pw-123456789",
        "role": "data_reader",
    }
    made = httpx.post(cloud.api + "/api/v1/users", json=body, headers=auth(admin()), timeout=30)
    assert made.status_code == 201 and made.json()["factory_id"] is None, made.text
    me = httpx.post(cloud.api + "/api/v1/auth/login", json=body | {"role": None}, timeout=30)
    assert me.status_code == 422  # unknown field: login takes a username and a password
    login = {"username": body["username"], "password": body["password"]}
    answer = ok(httpx.post(cloud.api + "/api/v1/auth/login", json=login, timeout=30))
    assert answer["role"] == "data_reader"
    # At an edge, neither an account nor a token of the role.
    body["username"] += "-edge"
    for path, payload in (("/api/v1/users", body), ("/api/v1/tokens", {"role": "data_reader"})):
        refused = world.client.post(path, json=payload, headers=auth(world.admin))
        assert refused.status_code == 422, refused.text
        assert "cloud role" in refused.json()["error"]["message"]


def test_the_cloud_s_first_page_is_its_catalog(cloud: Cloud) -> None:
    """`/` at the cloud (the first URL people type) leads to the catalog, not a JSON 404."""
    resp = httpx.get(f"{cloud.api}/", timeout=30, follow_redirects=False)
    assert resp.status_code == 307
    assert resp.headers["location"] == "/catalog"
