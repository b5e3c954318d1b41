"""Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
Jitter"): the n-th retry waits uniform(0, min(cap, base * 2**(n-1))). The jitter spreads a
recovering cloud's load over the window instead of every edge retrying at the same instant;
the cap is the specification's 30 s, so a partition costs at most 30 s of extra delay."""

from __future__ import annotations

import random

_rng = random.SystemRandom()


def full_jitter(
    attempt: int, base_s: float, cap_s: float, rng: random.Random | None = None
) -> float:
    ceiling = min(cap_s, base_s * 2 ** max(0, min(attempt - 1, 62)))
    return (rng or _rng).uniform(0.0, ceiling)
