"""uvicorn's HTTP/1.1 protocols with a header-read timeout.

uvicorn has none: a connection that sends nothing, or part of its request line and
headers, is held until the client goes (500 such sockets were held over 65 s, each a file
descriptor and a slot under any connection limit). Here a timer starts when the
connection is made, or when the first byte of a later request on it arrives, and is
cancelled once that request's headers are complete; if it fires first the connection is
closed without an answer (as nginx's client_header_timeout does: nothing was asked).

What it leaves alone, by construction:
- request bodies: the timer is gone once the headers are in, however slowly a body comes;
- WebSocket upgrades: an upgrade's headers complete before the socket changes protocol;
- idle keep-alive connections between requests: uvicorn's own timeout_keep_alive closes
  them (armed when a response ends, cancelled by the next request's first byte, which is
  where this timer takes over);
- responses: the timer never closes a connection while a response is being sent (a
  pipelined next request's headers wait behind a long stream), it looks again later.

`keystone api`, `keystone gateway` and the tests' live servers all serve with
HTTP_PROTOCOL, the httptools class that uvicorn's `http="auto"` picks, with this timer
added. The h11 class is for a server run with `http="h11"` (the tests hold both to the
same behaviour). The timeout is KEYSTONE_HEADER_TIMEOUT_S.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("keystone.http")


def _configured_timeout() -> float:
    from keystone_api.settings import get_settings

    return get_settings().header_timeout_s


class _HeaderDeadline:
    """The timer, shared by both protocol classes. `header_timeout_s` None: the setting."""

    header_timeout_s: float | None = None
    # Provided by uvicorn's protocol classes:
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any
    client: tuple[str, int] | None

    _header_timer: asyncio.TimerHandle | None = None

    def _header_timeout(self) -> float:
        return self.header_timeout_s if self.header_timeout_s is not None else _configured_timeout()

    def _start_header_timer(self) -> None:
        if self._header_timer is None:  # a request already waited for keeps its deadline
            self._header_timer = self.loop.call_later(self._header_timeout(), self._header_late)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_late(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._start_header_timer()  # a response is on its way: never cut it
            return
        log.info("closing %s: request headers not complete in time", self.client)
        self.transport.close()


class HeaderTimeoutH11Protocol(_HeaderDeadline, H11Protocol):
    """h11 has no "message begins" callback: after every batch of events, a peer still
    IDLE (no complete request line and headers) with bytes pending is reading headers."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_timer()

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._stop_header_timer()  # headers in (or the connection is done with)
        elif self.conn.trailing_data[0]:
            self._start_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)


class HeaderTimeoutHttpToolsProtocol(_HeaderDeadline, HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_header_timer()  # a later request on a kept-alive connection

    def on_headers_complete(self) -> None:
        self._stop_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)


# What `keystone api` and the tests serve with: the protocol uvicorn's "auto" picks (its
# protocols/http/auto.py) whenever httptools is there, and it always is (uvicorn[standard],
# a requirement, brings it on every platform), with the timer. Module-level classes:
# `keystone api --workers N` pickles the configuration, protocol class included, into each
# worker.
HTTP_PROTOCOL: type[asyncio.Protocol] = HeaderTimeoutHttpToolsProtocol
