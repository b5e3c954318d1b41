"""Why a run failed, read from the instance: the failing step's own error (what Dagster's
run failure message hides behind "Steps failed: [...]"), and whether the failure is one
operators should be paged for at all.

- interrupted: the run's process was stopped from outside (Ctrl-C or SIGTERM of the stack,
  a worker restarted): Dagster reports it as a failure with reason UNEXPECTED_TERMINATION
  ("Execution was interrupted unexpectedly") or RUN_WORKER_RESTART, or, when the process
  ended before it could say so, the code server fails the run after an engine event "Run
  execution process for ... was terminated by signal 15 (SIGTERM)" (or 2, SIGINT). Nothing
  in the run's code or data broke, and the run can be run again (run retries do it), so
  no alert. Not SIGKILL: Dagster says that is usually the kernel's out-of-memory killer.
- rejected_input: every failing step refused its input (`rejected_input.rejected`).
- failed: anything else, an operator event naming the step and its error.
"""

# No `from __future__ import annotations`, as in the sensors that use these.
import re
from dataclasses import dataclass
from typing import Any, Literal

import dagster as dg

from keystone_pipelines.defs.operations.rejected_input import is_rejected

# Dagster's RunFailureReason values (also the run's `dagster/failure_reason` tag).
INTERRUPTED = frozenset({"UNEXPECTED_TERMINATION", "RUN_WORKER_RESTART"})
FAILURE_REASON_TAG = "dagster/failure_reason"
# dagster._utils.get_run_crash_explanation, written by the code server's orphan check.
CRASH = re.compile(r"Run execution process for \S+ (was terminated by signal|unexpectedly exited)")
STOPPED = re.compile(r"was terminated by signal (2|15) ")
MAX_ERROR_CHARS = 4000

Verdict = Literal["failed", "interrupted", "rejected_input"]


@dataclass(frozen=True)
class FailureCause:
    verdict: Verdict
    error: str  # "NotFound: factory 'x' not found": the exception's class and message
    step_key: str | None = None
    failure_reason: str | None = None


def failure_cause(context: dg.RunFailureSensorContext) -> FailureCause:
    failure = context.failure_event.event_specific_data  # JobFailureData
    reason = getattr(getattr(failure, "failure_reason", None), "value", None)
    reason_name = reason or context.dagster_run.tags.get(FAILURE_REASON_TAG)
    if reason_name in INTERRUPTED:
        message = context.failure_event.message or "the run's process was interrupted"
        return FailureCause("interrupted", message, failure_reason=reason_name)
    crash = _crash_explanation(context)
    if crash and STOPPED.search(crash):
        return FailureCause("interrupted", crash, failure_reason=reason_name)
    steps = context.get_step_failure_events()
    real = [s for s in steps if not is_rejected(s.step_failure_data)]
    if steps:
        first = real[0] if real else steps[0]
        verdict: Verdict = "failed" if real else "rejected_input"
        return FailureCause(verdict, describe(first.step_failure_data), first.step_key, reason_name)
    error = getattr(failure, "error", None)
    said = error_text(error) if error is not None else (crash or context.failure_event.message)
    return FailureCause("failed", said or "the run failed", None, reason_name)


def _crash_explanation(context: dg.RunFailureSensorContext) -> str | None:
    """The code server's word on how the run's process ended, when the run worker could not
    report (it fails the run with no reason of its own)."""
    if getattr(context.failure_event.event_specific_data, "failure_reason", None) is not None:
        return None  # the run worker reported it: the reason says what happened
    engine = context.instance.all_logs(
        context.dagster_run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT
    )
    for entry in reversed(engine[-5:]):
        message = entry.dagster_event.message if entry.dagster_event else None
        if message and CRASH.search(message):
            return message
    return None


def describe(step_failure_data: Any) -> str:
    """A step's error: a `dg.Failure`'s description, else the innermost exception (the op's
    own, under Dagster's "Error occurred while executing op")."""
    user = getattr(step_failure_data, "user_failure_data", None)
    if user is not None and user.description:
        return str(user.description)[:MAX_ERROR_CHARS]
    return error_text(step_failure_data.error)


def error_text(error: Any) -> str:
    while error.cause is not None:
        error = error.cause
    text = (error.message or "").strip()
    # "keystone_api.errors.NotFound: ..." -> "NotFound: ..."
    head, sep, rest = text.partition(": ")
    if sep and head.split(".")[-1] == error.cls_name:
        text = f"{error.cls_name}: {rest}"
    return (text or error.cls_name or "error")[:MAX_ERROR_CHARS]
