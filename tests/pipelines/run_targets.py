"""Jobs the operator-event tests run where Dagster must find them again: a job that runs
until it is interrupted (`dagster job execute -f` in a process the test stops, as Ctrl-C
of `keystone dev` does), and the code location's factory_health_job for
`dg.reconstructable` (a retry re-executes the failed run's job from its module)."""

# No `from __future__ import annotations`: Dagster reads the op's real types.
import time
from pathlib import Path

import dagster as dg


class WaitConfig(dg.Config):  # type: ignore[misc]
    # Written once the op runs, so the test interrupts a run that is under way.
    started_file: str
    # A hang guard, not a timing: the test interrupts it long before.
    give_up_s: float = 300.0


@dg.op
def wait_until_stopped(config: WaitConfig) -> None:
    Path(config.started_file).write_text("started")
    deadline = time.monotonic() + config.give_up_s
    while time.monotonic() < deadline:
        time.sleep(0.2)


@dg.job(executor_def=dg.in_process_executor)
def interruptible_job() -> None:
    wait_until_stopped()


def factory_health_job() -> dg.JobDefinition:
    from keystone_pipelines.definitions import defs

    return defs.resolve_job_def("factory_health_job")
