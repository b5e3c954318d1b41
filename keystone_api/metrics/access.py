"""Who may scrape /metrics, and what they see.

It names factories, robots and devices, and each scrape reads the database, so outside
dev mode it is closed by default:
- Prometheus presents KEYSTONE_METRICS_TOKEN as a bearer token (`authorization:
  credentials_file:` in its scrape config) and sees everything;
- an admin or operator presents their JWT (checked by accounts' own decode and resolve,
  revocation included) and sees everything, or only their factory if bound to one;
- KEYSTONE_METRICS_PUBLIC=true opens it to anyone (a monitoring network that is truly
  apart), and dev mode (`keystone dev`, which runs no Prometheus) leaves it open.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials

from keystone_api.accounts.principal import STAFF, Principal, bearer, resolve
from keystone_api.accounts.tokens import decode
from keystone_api.db.unit_of_work import unit_of_work
from keystone_api.deps import SettingsDep
from keystone_api.errors import Unauthorized
from keystone_api.settings import Settings


@dataclass(frozen=True)
class ScrapeScope:
    """What a scrape may show: every factory (factory_id None) or one."""

    factory_id: str | None = None


EVERYTHING = ScrapeScope()
HOW = (
    "/metrics needs `Authorization: Bearer <KEYSTONE_METRICS_TOKEN>` (Prometheus: "
    "authorization.credentials_file) or an admin or operator token"
)


def _digest(value: str) -> bytes:
    # Compared as digests: constant time whatever the lengths, so not even the token's
    # length leaks.
    return hashlib.sha256(value.encode()).digest()


def is_scrape_token(settings: Settings, given: str) -> bool:
    token = settings.metrics_token
    if token is None:
        return False
    return hmac.compare_digest(_digest(given), _digest(token.get_secret_value()))


def _staff(settings: Settings, given: str) -> Principal:
    claims = decode(settings, given)  # a bad, forged or expired token: 401 here
    principal = unit_of_work(lambda session: resolve(claims, session))
    principal.require(*STAFF)  # a valid token of another role: 403
    return principal


async def scrape_scope(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ScrapeScope:
    if settings.dev_mode or settings.metrics_public:
        return EVERYTHING
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized(f"missing bearer token: {HOW}")
    if is_scrape_token(settings, credentials.credentials):
        return EVERYTHING  # no database: the scrape token is checked in memory
    principal = await run_in_threadpool(_staff, settings, credentials.credentials)
    return ScrapeScope(principal.factory_id)


ScrapeScopeDep = Annotated[ScrapeScope, Depends(scrape_scope)]
