"""Rate limits at the robots' doors (the `limits` library, in this process's memory: the
gateways hold their sockets in one process anyway).

- Frames per socket: a robot sends a few frames a minute (a status every 30 s, a handful
  per recording). A socket over its rate has its frames refused unread; one that keeps
  going is closed (policy violation), so a flood of frames costs the server little.
- Refused handshakes and registrations per client address: an address that keeps
  presenting wrong keys, tokens or enrollment secrets is answered 429 without a database
  lookup until its window passes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from keystone_api.errors import DomainError, TooManyRequests

# Frames refused for rate, after which the socket is closed.
FRAME_OVERFLOW_CLOSE = 200


class DoorThrottle:
    def __init__(self, frame_rate: str, refusal_rate: str) -> None:
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.frames: RateLimitItem = parse(frame_rate)
        self.refusals: RateLimitItem = parse(refusal_rate)

    def frame_allowed(self, socket_id: str) -> bool:
        return self.limiter.hit(self.frames, "frame", socket_id)

    @contextmanager
    def door(self, address: str) -> Iterator[None]:
        """Around a credential check: 429 for an address that used up its refusals; a
        refusal (401, 403, 404) inside counts against the address."""
        if not self.limiter.test(self.refusals, "refused", address):
            reset = self.limiter.get_window_stats(self.refusals, "refused", address).reset_time
            retry = max(1, int(reset - time.time()) + 1)
            raise TooManyRequests(
                f"too many refused attempts from this address; retry in {retry} s", retry
            )
        try:
            yield
        except DomainError as exc:
            if exc.status_code in (401, 403, 404):
                self.limiter.hit(self.refusals, "refused", address)
            raise


def throttle_of(app: Any) -> DoorThrottle:
    """The app's throttle, made on first use with the settings' rates."""
    throttle: DoorThrottle | None = getattr(app.state, "door_throttle", None)
    if throttle is None:
        from keystone_api.settings import get_settings

        settings = get_settings()
        throttle = DoorThrottle(settings.robot_frame_rate, settings.door_refusal_rate)
        app.state.door_throttle = throttle
    return throttle
