"""In-process hooks for what other parts react to (the robot gateways): the API domain stays
free of WebSocket code, and a gateway subscribes when it is mounted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class TaskLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def robot_id(self) -> str | None: ...


class TaskEvents:
    def __init__(self) -> None:
        self._upload_requested: list[Callable[[str, str | None], Any]] = []

    def on_upload_requested(self, fn: Callable[[str, str | None], Any]) -> None:
        self._upload_requested.append(fn)

    def upload_requested(self, task: TaskLike) -> None:
        """The task's recording should be (re)uploaded: ask its robot's transfer daemon."""
        for fn in self._upload_requested:
            fn(task.id, task.robot_id)


task_events = TaskEvents()
