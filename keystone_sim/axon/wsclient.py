"""Dial a WebSocket and keep dialling, as both Axon daemons do: reconnect after 1 s x 2^n
(capped at 60 s) with jitter; the session callback runs once per connection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

log = logging.getLogger("keystone_sim.axon")


@dataclass
class Backoff:
    initial_s: float = 1.0
    max_s: float = 60.0
    jitter: float = 0.2

    def delay(self, attempt: int) -> float:
        base = min(self.max_s, self.initial_s * (2**attempt))
        return base * (1 + random.uniform(-self.jitter, self.jitter))


@dataclass
class Dialer:
    name: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    backoff: Backoff = field(default_factory=Backoff)
    connections: int = 0
    last_status: int | None = None  # HTTP status of the last refused handshake
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    conn: ClientConnection | None = None

    async def run(
        self, session: Callable[[ClientConnection], Awaitable[None]], stop: asyncio.Event
    ) -> None:
        attempt = 0
        while not stop.is_set():
            try:
                async with connect(
                    self.url,
                    additional_headers=self.headers,
                    ping_interval=30,
                    open_timeout=10,
                    max_size=16 * 1024 * 1024,
                ) as conn:
                    self.conn, self.last_status, attempt = conn, None, 0
                    self.connections += 1
                    self.connected.set()
                    try:
                        await session(conn)
                    finally:
                        self.connected.clear()
                        self.conn = None
            except InvalidStatus as exc:
                self.last_status = exc.response.status_code
                log.info("%s: handshake refused (HTTP %s)", self.name, self.last_status)
            except (TimeoutError, OSError) as exc:
                log.debug("%s: cannot connect: %s", self.name, exc)
            except Exception as exc:  # noqa: BLE001 - closed mid-session: dial again
                log.debug("%s: connection ended: %s", self.name, exc)
            if stop.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.backoff.delay(attempt))
            attempt += 1

    async def drop(self) -> None:
        """Close the current connection (a network fault); the dialler reconnects."""
        if self.conn is not None:
            await self.conn.close(code=1001, reason="emulated network drop")
