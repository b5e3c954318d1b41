"""Logins under pressure: failures limited per client address and per username (the
`limits` library, moving windows in tiers, so a persistent guesser waits a minute, then an
hour, then a day), and at most a few password checks at once (each Argon2 check takes
64 MiB and a core for a moment: 64 at once took the API from 144 to 1,110 MiB and
`/auth/me` to 8 s). A login over its limit is refused before its password is checked,
right or wrong, with Retry-After.

Storage is this process's memory by default; KEYSTONE_RATE_LIMIT_STORAGE (e.g.
redis://host:6379) shares the counts between API workers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from keystone_api.errors import TooManyRequests, Unavailable
from keystone_api.settings import Settings

log = logging.getLogger("keystone.accounts")


class LoginLocked(TooManyRequests):
    code = "login_locked"


class LoginGuard:
    def __init__(self, settings: Settings) -> None:
        self.limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))
        self.per_user: list[RateLimitItem] = parse_many(settings.login_failures_per_user)
        self.per_address: list[RateLimitItem] = parse_many(settings.login_failures_per_address)
        self.checks = asyncio.Semaphore(settings.login_concurrency)
        self.max_waiting = settings.login_max_waiting
        self.waiting = 0

    def _locked_for(self, tiers: list[RateLimitItem], *key: str) -> int | None:
        """Seconds until every exhausted tier has room again (None: not locked)."""
        worst = None
        with _counts():
            for item in tiers:
                if not self.limiter.test(item, *key):
                    reset = self.limiter.get_window_stats(item, *key).reset_time
                    left = max(1, int(reset - time.time()) + 1)
                    worst = left if worst is None else max(worst, left)
        return worst

    def _scopes(self, address: str, username: str) -> list[tuple[str, list[RateLimitItem], str]]:
        """(what is locked, its tiers, its key): the account (any case of its name) and the
        client address."""
        return [
            ("account", self.per_user, f"user:{username.strip().lower()}"),
            ("address", self.per_address, f"address:{address}"),
        ]

    def admit(self, address: str, username: str) -> None:
        """Refuse (429) a login for a locked account or from a locked address."""
        for what, tiers, key in self._scopes(address, username):
            wait = self._locked_for(tiers, "login", key)
            if wait is not None:
                name = f"account '{username[:100]}'" if what == "account" else "this address"
                raise LoginLocked(
                    f"logins for {name} are locked after too many failures: try again in {wait} s",
                    wait,
                    {"locked": what, "retry_after_s": wait},
                )

    def failed(self, address: str, username: str) -> None:
        with _counts():
            for _, tiers, key in self._scopes(address, username):
                for item in tiers:
                    self.limiter.hit(item, "login", key)

    def succeeded(self, address: str, username: str) -> None:
        """A right password clears the account's failures (not the address's)."""
        _, tiers, key = self._scopes(address, username)[0]
        with _counts():
            for item in tiers:
                self.limiter.clear(item, "login", key)

    @asynccontextmanager
    async def password_check(self) -> AsyncIterator[None]:
        """One of the few password checks allowed at once. The queue waits on the event
        loop (no thread, no Argon2 memory held); beyond it a login is refused at once."""
        if self.waiting >= self.max_waiting:
            raise TooManyRequests("too many logins at once: try again in a second", 1)
        self.waiting += 1
        try:
            await self.checks.acquire()
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self.checks.release()


@contextmanager
def _counts() -> Iterator[None]:
    """Where the counts live (Redis) is down: no login is let through uncounted (503)."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - the storage's own errors (redis, ...)
        log.error("login rate limit storage failed: %s", exc)
        raise Unavailable("logins are unavailable: the rate-limit storage is down") from None


def login_guard(app: Any, settings: Settings) -> LoginGuard:
    """The app's guard (one per app: its semaphore belongs to the app's event loop)."""
    guard: LoginGuard | None = getattr(app.state, "login_guard", None)
    if guard is None:
        guard = app.state.login_guard = LoginGuard(settings)
    return guard
