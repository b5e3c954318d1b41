"""Revocation: a person's tokens die with a password, role or activity change (their token
version), also after a reactivation; minted tool, display and service tokens are recorded,
listed (never the token itself) and revocable one by one, by the API and the CLI; a token of
those kinds with no live record is refused, however well signed, cached or not."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from keystone_api.accounts.principal import resolve
from keystone_api.accounts.tokens import decode
from keystone_api.settings import get_settings
from tests.api.forged import forge
from tests.api.world import World, auth, build_world, ok
from tests.support.processes import run_cli


@pytest.fixture
def client(in_process_client: TestClient) -> TestClient:
    """Requests and answers against the database only: the app in-process, rolled back."""
    return in_process_client


def _me(client: httpx.Client, token: str) -> httpx.Response:
    return client.get("/api/v1/auth/me", headers=auth(token))


def _refused(client: httpx.Client, token: str, said: str) -> None:
    answer = _me(client, token)
    assert answer.status_code == 401, answer.text
    assert said in answer.json()["error"]["message"]


def _account(w: World, role: str) -> tuple[str, str, str]:
    """(user id, username, token) of a new account of w's factory."""
    token = w.user(role)
    me = ok(_me(w.client, token))
    return me["subject"], me["name"], token


def _patch(w: World, user_id: str, change: dict[str, Any], token: str | None = None) -> Any:
    return w.client.patch(f"/api/v1/users/{user_id}", json=change, headers=auth(token or w.admin))


def test_a_password_change_revokes_the_users_tokens(world: World) -> None:
    w = world
    user_id, name, token = _account(w, "operator")
    assert _me(w.client, token).status_code == 200
    ok(_patch(w, user_id, {"display_name": "Renamed"}))  # a name is no reason
    assert _me(w.client, token).status_code == 200
    ok(_patch(w, user_id, {"password": "another-password-1"}))
    _refused(w.client, token, "token revoked")
    w.passwords[name] = "another-password-1"
    assert _me(w.client, w.login(name)).status_code == 200


def test_deactivation_revokes_and_reactivation_does_not_revive(world: World) -> None:
    w = world
    user_id, name, token = _account(w, "inspector")
    ok(_patch(w, user_id, {"active": False}))
    _refused(w.client, token, "account disabled")
    ok(_patch(w, user_id, {"active": True}))
    _refused(w.client, token, "token revoked")  # the old token stays dead
    assert _me(w.client, w.login(name)).status_code == 200


def test_a_role_change_follows_the_rules_of_creation_and_revokes(world: World) -> None:
    w = world
    user_id, name, token = _account(w, "operator")
    for role in ("robot", "display", "service"):  # not a person's role
        assert _patch(w, user_id, {"role": role}).status_code == 422
    assert _me(w.client, token).status_code == 200  # refused changes revoke nothing
    assert ok(_patch(w, user_id, {"role": "inspector"}))["role"] == "inspector"
    _refused(w.client, token, "token revoked")
    assert ok(_me(w.client, w.login(name)))["role"] == "inspector"
    # An admin of the whole organization has no factory; an operator must have one.
    org_admin = ok(
        w.client.post(
            "/api/v1/users",
            json={"username": f"org-{user_id[:8]}", "password": "org-password-1", "role": "admin"},
            headers=auth(w.admin),
        ),
        201,
    )
    assert _patch(w, org_admin["id"], {"role": "operator"}).status_code == 422


def test_an_admin_cannot_demote_or_deactivate_themselves(world: World) -> None:
    w = world
    user_id, _, token = _account(w, "admin")
    for change in ({"role": "operator"}, {"active": False}):
        answer = _patch(w, user_id, change, token)
        assert answer.status_code == 403 and "own account" in answer.text
    assert _me(w.client, token).status_code == 200


def _mint(w: World, token: str | None = None, **body: Any) -> httpx.Response:
    return w.client.post("/api/v1/tokens", json=body, headers=auth(token or w.admin))


def test_minted_tokens_are_listed_and_revocable(world: World) -> None:
    w = world
    minted = ok(_mint(w, role="display", factory_id=w.factory_id, label="line 3 screen"), 201)
    token, token_id = minted["access_token"], minted["id"]
    assert ok(_me(w.client, token))["kind"] == "display"  # verified, and now cached
    listed = ok(w.client.get("/api/v1/tokens", params={"kind": "display"}, headers=auth(w.admin)))
    assert {"items", "total", "limit", "offset"} <= set(listed)
    row = next(t for t in listed["items"] if t["id"] == token_id)
    assert row["label"] == "line 3 screen" and row["factory_id"] == w.factory_id
    assert token not in str(listed) and "access_token" not in row  # never the token itself
    paged = ok(w.client.get("/api/v1/tokens", params={"limit": 1}, headers=auth(w.admin)))
    assert len(paged["items"]) == 1 and paged["total"] >= 1

    answer = w.client.delete(f"/api/v1/tokens/{token_id}", headers=auth(w.admin))
    assert answer.status_code == 204
    _refused(w.client, token, "display token revoked")
    assert w.client.get("/api/v1/stats/summary", headers=auth(token)).status_code == 401
    gone = ok(w.client.get("/api/v1/tokens", headers=auth(w.admin)))["items"]
    assert token_id not in {t["id"] for t in gone}
    params = {"include_revoked": True, "limit": 500}
    every = ok(w.client.get("/api/v1/tokens", params=params, headers=auth(w.admin)))["items"]
    revoked = next(t for t in every if t["id"] == token_id)
    assert revoked["revoked_at"] and revoked["revoked_by"].startswith("tool:")


def test_a_well_signed_token_without_its_record_is_refused(client: httpx.Client) -> None:
    settings = get_settings()
    for kind, role in (("tool", "admin"), ("display", "display"), ("service", "service")):
        _refused(client, forge(settings, kind=kind, role=role), "not recorded")


def test_a_factorys_admin_keeps_to_its_factory(world: World) -> None:
    w = world
    other = ok(_mint(w, role="display", factory_id=w.factory_id), 201)
    b = build_world(w.client, stations=0)
    admin_b = b.user("admin")
    mine = ok(_mint(b, admin_b, role="operator", label="b's tool"), 201)  # bound to b
    assert ok(_me(w.client, mine["access_token"]))["factory_id"] == b.factory_id
    seen = ok(w.client.get("/api/v1/tokens", params={"limit": 500}, headers=auth(admin_b)))
    assert {t["factory_id"] for t in seen["items"]} == {b.factory_id}
    refused = w.client.delete(f"/api/v1/tokens/{other['id']}", headers=auth(admin_b))
    assert refused.status_code == 404
    assert _mint(b, admin_b, role="display", factory_id=w.factory_id).status_code == 404
    org = _mint(b, admin_b, role="service", organization_id=b.org_id)
    assert org.status_code == 403


def test_a_service_token_carries_its_organization(world: World) -> None:
    from keystone_api.db.engine import get_sessionmaker

    w = world
    body = {"role": "service", "factory_id": w.factory_id, "organization_id": w.org_id}
    token = ok(_mint(w, **body), 201)["access_token"]
    with get_sessionmaker()() as session:
        principal = resolve(decode(get_settings(), token), session)
    assert (principal.organization_id, principal.factory_id) == (w.org_id, w.factory_id)
    assert _mint(w, role="admin", organization_id=w.org_id).status_code == 422


def test_the_cli_mints_lists_and_revokes(client: httpx.Client) -> None:
    made = run_cli("token", "create", "--role", "display", "--label", "cli screen", timeout=60)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    token_id = made.stderr.split("recorded as ")[1].split()[0]
    assert ok(_me(client, token))["kind"] == "display"
    listed = run_cli("token", "list", timeout=60)
    assert token_id in listed.stdout and "cli screen" in listed.stdout
    assert token not in listed.stdout
    revoked = run_cli("token", "revoke", token_id, timeout=60)
    assert revoked.returncode == 0, revoked.stderr
    _refused(client, token, "display token revoked")
    assert token_id not in run_cli("token", "list", timeout=60).stdout
    assert token_id in run_cli("token", "list", "--all", timeout=60).stdout
