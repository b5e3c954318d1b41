"""The `episode_qa` asset's re-assess setting: materializing an hour with `reassess: true`
re-runs the hour's already-assessed episodes, not only new arrivals.

It marks them through keystone_api's re-assessment service (the same rules as the API's
requests: synced episodes are re-assessed for the record only, inspectors' decisions stay
unless `override_inspector` with a reason), then the run claims them as it claims new ones."""

# No `from __future__ import annotations`: Dagster reads these signatures' real types.
from datetime import datetime

import dagster as dg
from pydantic import Field
from sqlalchemy.orm import Session

from keystone_pipelines.defs.operations.rejected_input import rejected
from keystone_pipelines.resources import KeystoneResource


class EpisodeQaConfig(dg.Config):  # type: ignore[misc]
    reassess: bool = Field(
        default=False,
        description="Re-assess the hour's already-assessed episodes too (after a QA spec "
        "change, a validator fix). Without it, only what still waits is assessed.",
    )
    reason: str = Field(default="", description="Why (required to re-assess; recorded)")
    requested_by: str = Field(
        default="", description="Who asks (a Keystone username; recorded with the reason)"
    )
    override_inspector: bool = Field(
        default=False,
        description="Also re-assess episodes an inspector decided, overruling them (needs a "
        "reason). Synced episodes keep their status whatever this says.",
    )


def reassess_the_hour(
    context: dg.AssetExecutionContext,
    keystone: KeystoneResource,
    config: EpisodeQaConfig,
    start: datetime,
    end: datetime,
) -> None:
    from keystone_api.db.unit_of_work import unit_of_work_in
    from keystone_api.qa.reassess import reassess_hour

    reason, who = config.reason.strip(), config.requested_by.strip()
    if not reason:
        raise rejected("reason: required to re-assess an hour (it is recorded)")
    if not who:
        raise rejected("requested_by: required to re-assess an hour (who asks)")

    def mark(session: Session) -> tuple[str, int, int, dict[str, int]]:
        request, plan = reassess_hour(
            session,
            start,
            end,
            requested_by=f"dagster:{who}",
            reason=reason,
            override_inspector=config.override_inspector,
        )
        untouched = {k: len(v) for k, v in plan.untouched.items()}
        return request.id, len(plan.take), len(plan.record_only), untouched

    request_id, taken, record_only, untouched = unit_of_work_in(keystone.sessions(), mark)
    context.log.info(
        f"re-assessment {request_id}: {taken} episodes marked ({record_only} synced: for the "
        f"record only); left alone: {untouched or 'none'}"
    )
