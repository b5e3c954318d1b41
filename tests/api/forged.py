"""Tokens an attacker on the factory network could make or replay, one of each kind: the
attack matrix (test_tokens_attack.py) sends every one of them to every route."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import jwt

from keystone_api.preflight import FORMER_DEFAULT_SECRET
from keystone_api.settings import Settings
from tests.api.world import World, auth, ok

WRONG_KEY = "an-attackers-own-key-of-forty-eight-bytes-000000"


def forge(settings: Settings, key: str | None = None, alg: str = "HS256", **claims: Any) -> str:
    """A token shaped as Keystone mints them (an admin tool token unless `claims` say
    otherwise), signed with `key` (default: the real one)."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "nbf": now - 5,
        "exp": now + 3600,
        "jti": str(uuid.uuid4()),
        "sub": "attacker",
        "kind": "tool",
        "role": "admin",
        **claims,
    }
    if alg == "none":
        return jwt.encode(payload, None, algorithm="none")  # type: ignore[arg-type]
    secret = key if key is not None else settings.jwt_secret.get_secret_value()
    return jwt.encode(payload, secret, algorithm=alg)


def forged_tokens(settings: Settings) -> dict[str, str]:
    """Tokens that fail before any database lookup: bad signature, claims or role."""
    other = "keystone-cloud" if settings.jwt_audience != "keystone-cloud" else "keystone-edge"
    return {
        "garbled": "not.a.token",
        "alg-none": forge(settings, alg="none"),
        "wrong-key": forge(settings, key=WRONG_KEY),
        "old-default-key": forge(settings, key=FORMER_DEFAULT_SECRET),
        "other-audience": forge(settings, aud=other),
        "other-issuer": forge(settings, iss=other),
        "expired": forge(settings, exp=int(time.time()) - 60),
        "unknown-role": forge(settings, role="superuser"),
        "display-as-admin": forge(settings, kind="display", role="admin"),
    }


def revoked_tokens(w: World, settings: Settings) -> dict[str, str]:
    """Well-signed tokens that were revoked or never recorded: need the database to refuse."""
    client: httpx.Client = w.client
    tokens = {"unrecorded-tool": forge(settings)}
    minted = w.post("/api/v1/tokens", {"role": "admin", "label": "attack matrix"})
    assert client.delete(f"/api/v1/tokens/{minted['id']}", headers=auth(w.admin)).status_code == 204
    tokens["revoked-tool"] = minted["access_token"]
    for change in ({"password": "a-new-password-1"}, {"active": False}):
        token = w.user("admin")
        me = ok(client.get("/api/v1/auth/me", headers=auth(token)))
        ok(client.patch(f"/api/v1/users/{me['subject']}", json=change, headers=auth(w.admin)))
        tokens["user-" + next(iter(change))] = token
    return tokens
