"""`python -m keystone_pipelines.dev_instance`: what `keystone dev` asks of its Dagster
instance (DAGSTER_HOME) before it starts the webserver and the daemon.

- Create the storage once, here (loading the instance does): two processes initializing
  a fresh SQLite storage at the same time stamp its alembic_version twice, and every later
  load fails. (No `upgrade()`: Dagster is pinned, and it re-indexes every run on disk.)
- End the runs the previous session left started: their processes ended with it, and the
  default run launcher cannot tell, so a sensor that waits for "its" run to finish (the
  cloud sync drain) would wait forever. They are marked canceled, not failed: stopping the
  stack interrupted them, nothing in them broke, and a failure would page an operator
  (the run-failure sensor's operator event) for a clean Ctrl-C.
"""

from __future__ import annotations

import dagster as dg

ORPHANS = [
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def prepare(instance: dg.DagsterInstance) -> int:
    orphans = instance.get_runs(filters=dg.RunsFilter(statuses=ORPHANS))
    for run in orphans:
        instance.report_run_canceled(
            run, "canceled: its process ended with the previous `keystone dev` session"
        )
    return len(orphans)


def main() -> None:
    instance = dg.DagsterInstance.get()
    try:
        failed = prepare(instance)
    finally:
        instance.dispose()
    if failed:
        print(f"marked {failed} run(s) of the previous session as canceled")


if __name__ == "__main__":
    main()
