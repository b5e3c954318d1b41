"""Jobs: QA of an hour (in-process executor: a run costs ~2.9 CPU-s in-process against 12-14
with the multiprocess default), the review gate alone, and an inspector's decision."""

# No `from __future__ import annotations`: Dagster reads these signatures' real types.
import enum

import dagster as dg
from pydantic import Field
from sqlalchemy.orm import Session

from keystone_pipelines.defs.episodes.assets import episode_qa, landed_recordings, review_gate
from keystone_pipelines.defs.operations.rejected_input import rejected
from keystone_pipelines.resources import KeystoneResource

episode_qa_job = dg.define_asset_job(
    "episode_qa_job",
    selection=dg.AssetSelection.assets(landed_recordings, episode_qa, review_gate),
    executor_def=dg.in_process_executor,
    tags={"keystone/job": "episode_qa"},
    description="Register, assess and gate one hour of recordings.",
)

review_gate_job = dg.define_asset_job(
    "review_gate_job",
    selection=dg.AssetSelection.assets(review_gate),
    executor_def=dg.in_process_executor,
    tags={"keystone/job": "review_gate"},
    description="Re-materialize an hour's review gate after inspectors' decisions.",
)


class Decision(enum.Enum):
    approve = "approve"
    reject = "reject"


class InspectionDecisionConfig(dg.Config):  # type: ignore[misc]
    # Required, without defaults: the Launchpad refuses to launch until they are given
    # ("Scaffold missing config" writes them in), and an enum it cannot misspell.
    episode_id: str = Field(description="The episode awaiting inspection (its id)")
    decision: Decision = Field(description="approve or reject")
    inspector: str = Field(
        description="Who decides: the username of an active Keystone inspector, operator "
        "or admin of the episode's factory (recorded with the decision)"
    )
    reason: str = Field(default="", description="Why (required to reject)")
    notes: str = Field(default="", description="Anything the next reader should know")


@dg.op(description="Record an inspector's decision, exactly as POST /episodes/{id}/inspection")
def record_inspection_decision(
    context: dg.OpExecutionContext, config: InspectionDecisionConfig, keystone: KeystoneResource
) -> str:
    from keystone_api.db.unit_of_work import unit_of_work_in
    from keystone_api.episodes.named_decision import decide_as
    from keystone_api.errors import Conflict, Forbidden, Invalid, NotFound

    episode_id, inspector = config.episode_id.strip(), config.inspector.strip()
    if not episode_id:
        raise rejected("episode_id: required (the id of an episode awaiting inspection)")
    if not inspector:
        raise rejected("inspector: required (the username of who decides)")

    def record(session: Session) -> str:
        episode = decide_as(
            session,
            keystone.settings(),
            episode_id,
            config.decision.value,
            username=inspector,
            reason=config.reason,
            notes=config.notes,
            source="dagster",
        )
        return episode.status.value

    try:
        status = unit_of_work_in(keystone.sessions(), record)
    except (NotFound, Conflict, Invalid, Forbidden) as exc:
        raise rejected(exc.message) from exc
    context.log.info(f"episode {episode_id} is now {status} (decided by {inspector})")
    return status


@dg.job(
    executor_def=dg.in_process_executor,
    tags={
        "keystone/job": "inspection",
        # dagster.yaml retries failed runs twice; a decision is a person's act: the same
        # config would be refused again, and a transient failure is theirs to relaunch.
        "dagster/max_retries": "0",
    },
    description="An inspector decides on a flagged episode from the Launchpad. Its config "
    "(the Launchpad's 'Scaffold missing config' writes it out): episode_id, decision "
    "(approve|reject), inspector (the username of an active inspector, operator or admin "
    "of the episode's factory, recorded with the decision), reason (required to reject), "
    "notes. A refused decision fails the run once, with the reason, and raises no alert.",
)
def inspection_decision_job() -> None:
    record_inspection_decision()
