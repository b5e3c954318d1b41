"""Which Dagster runs a sensor counts as "already asked for", by what its job does.

- A QA run claims the hour's claimable episodes when it starts, so only a run that has not
  started yet will take the episodes that landed since: once it is STARTED its claims are
  made, and new episodes of that hour need a new run (`WAITING_TO_START`).
- A sync run drains the whole queue, whatever was due when it started, and two drains at
  once would send the same episodes twice, so any run not yet ended counts (`NOT_ENDED`).
"""

# No `from __future__ import annotations`, as in the sensors that use these.
import dagster as dg

WAITING_TO_START = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
]
NOT_ENDED = [*WAITING_TO_START, dg.DagsterRunStatus.STARTED]
