"""JWT bearer tokens (PyJWT): issuer, audience, expiry and algorithm are always checked.

Kinds of token, all signed with the same key:
- user:    a person who logged in (sub = user id, role, factory_id, tv = the user's
           token_version: a password, role or activity change revokes every older token)
- device:  a robot (sub = robot id, device_id, factory_id, tv = the robot's token_version,
           so an admin's rotation revokes every older token)
- task:    the per-task `user_token` of a task config: only that task's callbacks
- display: a read-only factory-floor screen (factory_id)
- service: the edge's sync sender calling the cloud receiver (factory_id, org)
- tool:    a token of a person's role for tools (`keystone token create`), no account behind
The last three are recorded (accounts/registry.py): listed, and revocable one by one.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Any

import jwt

from keystone_api.errors import Unauthorized
from keystone_api.ids import new_id
from keystone_api.settings import Settings

# The roles a token of each kind may claim: anything else is a forgery or a bug, refused
# as 401 before any route sees it.
PEOPLE = frozenset({"admin", "operator", "collector", "inspector", "data_reader"})
KIND_ROLES: dict[str, frozenset[str]] = {
    "user": PEOPLE,
    "device": frozenset({"robot"}),
    "task": frozenset({"robot"}),
    "display": frozenset({"display"}),
    "service": frozenset({"service"}),
    "tool": PEOPLE,
}
KINDS = tuple(KIND_ROLES)
# Minted for tools, screens and senders: recorded in the token registry (api_tokens), so
# each is listed and revocable; a token of these kinds with no live record is refused.
RECORDED_KINDS = frozenset({"tool", "display", "service"})


@dataclass(frozen=True)
class TokenClaims:
    kind: str
    sub: str
    role: str
    factory_id: str | None = None
    device_id: str | None = None
    task_id: str | None = None
    token_version: int | None = None
    expires_at: int = 0
    # Service tokens: the organization whose metadata the sender may replicate.
    organization_id: str | None = None
    jti: str = ""


def mint(settings: Settings, claims: TokenClaims, ttl_s: int | None = None) -> str:
    now = int(time.time())
    ttl = ttl_s if ttl_s is not None else settings.jwt_ttl_s
    payload: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "nbf": now - 5,
        "exp": now + ttl,
        "jti": claims.jti or new_id(),
        "sub": claims.sub,
        "kind": claims.kind,
        "role": claims.role,
    }
    for key, value in (
        ("factory_id", claims.factory_id),
        ("device_id", claims.device_id),
        ("task_id", claims.task_id),
        ("tv", claims.token_version),
        ("org", claims.organization_id),
    ):
        if value is not None:
            payload[key] = value
    return jwt.encode(payload, settings.jwt_secret.get_secret_value(), settings.jwt_algorithm)


LEEWAY_S = 5


def decode(settings: Settings, token: str) -> TokenClaims:
    claims = _verified(
        token,
        settings.jwt_secret.get_secret_value(),
        settings.jwt_algorithm,
        settings.jwt_audience,
        settings.jwt_issuer,
    )
    # A verified token only changes by expiring: checked on every use, cached or not.
    if claims.expires_at + LEEWAY_S < time.time():
        raise Unauthorized("token expired")
    return claims


@functools.lru_cache(maxsize=8192)
def _verified(token: str, secret: str, algorithm: str, audience: str, issuer: str) -> TokenClaims:
    """Signature and claims checked once per distinct token: robots send the same token on
    every callback and heartbeat, and verifying it was ~5 % of a callback's CPU. Only a
    token that verifies is cached (an exception is never cached); the key includes the
    signing settings, so a changed secret verifies afresh. Revocation is never cached: the
    token version or the token's record is read on every use (principal.resolve)."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[algorithm],  # never trust the token's own `alg`
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            leeway=LEEWAY_S,
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token expired") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"invalid token: {exc}") from None
    kind, role = payload.get("kind"), payload.get("role")
    # Types first: a list is no dict key (a TypeError here was a 500 on every route).
    if not isinstance(kind, str) or kind not in KIND_ROLES:
        raise Unauthorized("invalid token: unknown kind")
    if not isinstance(role, str) or role not in KIND_ROLES[kind]:
        raise Unauthorized(f"invalid token: a {kind} token cannot have role {str(role)[:40]!r}")
    for name in ("factory_id", "device_id", "task_id", "org", "jti"):
        if payload.get(name) is not None and not isinstance(payload[name], str):
            raise Unauthorized(f"invalid token: {name} is not a string")
    if payload.get("tv") is not None and type(payload["tv"]) is not int:
        raise Unauthorized("invalid token: tv is not an integer")
    return TokenClaims(
        kind=kind,
        sub=str(payload["sub"]),
        role=role,
        factory_id=payload.get("factory_id"),
        device_id=payload.get("device_id"),
        task_id=payload.get("task_id"),
        token_version=payload.get("tv"),
        expires_at=int(payload["exp"]),
        organization_id=payload.get("org"),
        jti=payload.get("jti") or "",
    )
