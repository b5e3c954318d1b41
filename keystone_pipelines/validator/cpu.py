"""The validator's whole CPU cost, its helper threads included.

A caller's `time.thread_time()` around `validate()` misses what the chunk, frame, hash and
read threads do. `measure()` opens a meter for the calling thread; work handed to a helper
thread through `metered(fn)` adds its own thread CPU time to that meter. The QA runs
record it so the pipeline benchmark can tell the validator's work from orchestration."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class CpuMeter:
    def __init__(self) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        with self._lock:
            self.seconds += seconds


_current: contextvars.ContextVar[CpuMeter | None] = contextvars.ContextVar(
    "validator_cpu_meter", default=None
)


@contextmanager
def measure() -> Iterator[CpuMeter]:
    meter = CpuMeter()
    token = _current.set(meter)
    start = time.thread_time()
    try:
        yield meter
    finally:
        meter.add(time.thread_time() - start)
        _current.reset(token)


def metered(fn: Callable[P, R]) -> Callable[P, R]:
    """fn, charging its thread CPU time to the meter open where it was wrapped (if any)."""
    meter = _current.get()
    if meter is None:
        return fn

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        start = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            meter.add(time.thread_time() - start)

    return run
