"""A run that refused what it was asked to do (an unknown episode, a decision on an episode
in the wrong state, an inspector nobody knows) is the asker's mistake, not the pipeline's:
it fails once, with the reason in the Dagster UI, and raises no operator alert.

An op says so by raising `rejected(...)`; the run-failure sensor reads the mark back from
the step's failure event (`is_rejected`)."""

# No `from __future__ import annotations`, as in the modules that use these.
from typing import Any

import dagster as dg

REJECTED_INPUT = "keystone/rejected_input"


def rejected(reason: str) -> dg.Failure:
    """The Failure to raise: its description is what the Launchpad user reads."""
    return dg.Failure(
        description=reason,
        metadata={REJECTED_INPUT: True},
        # Asking again with the same input gets the same answer.
        allow_retries=False,
    )


def is_rejected(step_failure_data: Any) -> bool:
    """True for a step that failed with `rejected(...)`."""
    user = getattr(step_failure_data, "user_failure_data", None)
    if user is None:
        return False
    mark = (user.metadata or {}).get(REJECTED_INPUT)
    return bool(getattr(mark, "value", mark))
