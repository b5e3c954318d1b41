"""Jobs: QA of an hour (in-process executor: a run costs ~2.9 CPU-s in-process against 12-14
with the multiprocess default), the review gate alone, and an inspector's decision."""

# No `from __future__ import annotations`: Dagster reads these signatures' real types.
import dagster as dg
from sqlalchemy.orm import Session

from keystone_pipelines.defs.episodes.assets import episode_qa, landed_recordings, review_gate
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


class InspectionDecisionConfig(dg.Config):  # type: ignore[misc]
    episode_id: str
    decision: str  # approve | reject
    reason: str = ""
    notes: str = ""
    inspector: str = ""  # defaults to the Dagster user who launched the run


@dg.op(description="Record an inspector's decision, exactly as POST /episodes/{id}/inspection")
def record_inspection_decision(
    context: dg.OpExecutionContext, config: InspectionDecisionConfig, keystone: KeystoneResource
) -> str:
    from keystone_api.db.unit_of_work import unit_of_work_in
    from keystone_api.episodes.inspection import decide

    name = config.inspector or context.run.tags.get("dagster/user") or "dagster-ui"

    def record(session: Session) -> str:
        episode = decide(
            session,
            keystone.settings(),
            config.episode_id,
            config.decision,
            inspector_name=name,
            reason=config.reason,
            notes=config.notes,
            source="dagster",
        )
        return episode.status.value

    status = unit_of_work_in(keystone.sessions(), record)
    context.log.info(f"episode {config.episode_id} is now {status}")
    return status


@dg.job(
    executor_def=dg.in_process_executor,
    tags={"keystone/job": "inspection"},
    description="An inspector decides on a flagged episode from the Launchpad: "
    "{episode_id, decision: approve|reject, reason}.",
)
def inspection_decision_job() -> None:
    record_inspection_decision()
