"""The broker of device-state events: the gateways publish every change they see (a socket
opens or closes, the recorder changes state, the transfer daemon reports, an upload moves)
once, and each open stream (`state_stream`) reads its own bounded queue.

Apart from the stream's route so that the registry of live sockets (`connections.Hub`),
which owns a broker, need not import the route, which reads the registry."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keystone_api.gateways.connections import RobotRef

QUEUE_SIZE = 256


@dataclass(eq=False)  # kept in a set, by identity
class Subscriber:
    queue: asyncio.Queue[dict[str, Any]] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE)
    )
    dropped: int = 0


class EventBroker:
    """A slow reader loses its oldest events rather than slowing the gateways; each event
    carries a sequence number, so a reader can tell it missed some."""

    def __init__(self) -> None:
        self.seq = 0
        self._subscribers: set[Subscriber] = set()

    def publish(self, event_type: str, robot: RobotRef, **data: Any) -> None:
        """Called on the event loop only (the gateways' handlers)."""
        self.seq += 1
        event = {
            "type": event_type,
            "seq": self.seq,
            "at": time.time(),
            "device_id": robot.device_id,
            "robot_id": robot.robot_id,
            "factory_id": robot.factory_id,
            **data,
        }
        for sub in self._subscribers:
            if sub.queue.full():
                sub.queue.get_nowait()
                sub.dropped += 1
            sub.queue.put_nowait(event)

    def subscribe(self) -> Subscriber:
        sub = Subscriber()
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)
