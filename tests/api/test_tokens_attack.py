"""The token attack matrix: every route of the edge app, HTTP and WebSocket, against every
token an attacker could forge or replay (none, garbled, alg:none, wrong key, the former
built-in default key, another audience or issuer, expired, an unknown role, a role its kind
cannot have, unrecorded or revoked minted tokens, revoked people's tokens). Each is a 401
(a WebSocket: a handshake refused with 401): never a success, a 403 or a server error.

Routes meant to be public are listed below by path: a new public route must be added here
knowingly, or this test fails for it."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.routing import APIWebSocketRoute, iter_route_contexts
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from keystone_api.settings import get_settings
from tests.api.forged import forged_tokens, revoked_tokens
from tests.api.world import World, auth

PUBLIC = {
    # API description and liveness
    "/docs",
    "/docs/oauth2-redirect",
    "/docs/static",  # Swagger UI's and ReDoc's scripts (fastapi-offline), served offline
    "/openapi.json",
    "/redoc",
    "/healthz",
    "/readyz",
    # Logging in is how a token is had (its own tests: test_logins.py)
    "/api/v1/auth/login",
    # The dashboard's pages and assets hold no data: their scripts call the API with a token
    "/",  # the landing page: links to the others
    "/dashboard",
    "/dashboard/",
    "/dashboard/display",
    "/dashboard/episodes",  # the search page
    "/dashboard/episodes/{episode_id}",
    "/dashboard/inspection",
    "/dashboard/robots",
    "/dashboard/static",
}
# Doors with a credential of their own, tested where that credential is.
OWN_DOOR = {
    # The factory's enrollment secret (HTTP Basic), then the device token: tests/gateways
    "/api/v1/devices/register",
    "/api/v1/robot_types/{robot_type_id}/configs/{filename}",
    # KEYSTONE_METRICS_TOKEN, not a JWT: tests of the metrics part of issue 15
    "/metrics",
}


def _routes() -> list[tuple[str, str]]:
    """(method or 'WS', path) of every route of the edge app, public ones excepted."""
    from keystone_api.app import create_app

    found = []
    for route in iter_route_contexts(create_app().routes):
        path = str(route.path)
        if path in PUBLIC or path in OWN_DOOR:
            continue
        if isinstance(route.original_route, APIWebSocketRoute):
            found.append(("WS", path))
            continue
        methods = route.methods
        assert methods, f"a route that is neither HTTP nor WebSocket: {path}"
        found += [(m, path) for m in sorted(methods) if m != "HEAD"]
    return found


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: f"{m[1]}-x1", path)


def _refused_handshake(base: str, path: str, headers: dict[str, str]) -> int | str:
    try:
        with connect("ws" + base[4:] + _url(path), additional_headers=headers, open_timeout=10):
            return "accepted"
    except InvalidStatus as exc:
        return exc.response.status_code


def _attack(client: httpx.Client, base: str, method: str, path: str, headers: Any) -> Any:
    if method == "WS":
        return _refused_handshake(base, path, headers)
    body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
    response = client.request(method, _url(path), json=body, headers=headers)
    if response.status_code == 401:
        assert response.json()["error"]["code"] == "unauthorized", response.text
    return response.status_code


@pytest.mark.slow
def test_every_route_refuses_every_forged_or_revoked_token(
    live_api: str, client: httpx.Client, world: World
) -> None:
    settings = get_settings()
    tokens = {**forged_tokens(settings), **revoked_tokens(world, settings)}
    attempts: dict[str, dict[str, str]] = {"no-token": {}}
    attempts.update({name: auth(token) for name, token in tokens.items()})
    routes = _routes()
    assert len(routes) > 120 and sum(1 for m, _ in routes if m == "WS") >= 2
    wrong = []
    for method, path in routes:
        for name, headers in attempts.items():
            got = _attack(client, live_api, method, path, headers)
            if got != 401:
                wrong.append(f"{method} {path} with {name}: {got}")
    assert not wrong, f"{len(wrong)} not refused with 401:\n" + "\n".join(wrong)


def test_public_routes_are_still_routes() -> None:
    """The lists above name real routes (a renamed public route leaves no stale hole)."""
    from keystone_api.app import create_app

    paths = {str(r.path) for r in iter_route_contexts(create_app().routes)}
    missing = (PUBLIC | OWN_DOOR) - paths
    assert not missing, missing
