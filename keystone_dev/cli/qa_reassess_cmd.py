"""`keystone qa reassess`: re-assess episodes from a shell, as POST /api/v1/qa/reassess does
(same filter, same preview, same rules), on the database of Keystone's settings.

    keystone qa reassess --robot-type "SynGloves" --failed-check required_topics --preview
    keystone qa reassess --episode ID --reason "spec fixed" --requested-by alice

Without --preview it marks the episodes for the QA run (a reason is required); the answer
is the request's JSON either way."""

from __future__ import annotations

import getpass
import sys
from datetime import datetime
from typing import Annotated

import typer

from keystone_api.preflight import load_settings


def _robot_type_id(session, ref: str) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy import or_, select

    from keystone_api.fleet.models import RobotType

    found = list(
        session.execute(
            select(RobotType.id).where(or_(RobotType.id == ref, RobotType.name == ref))
        ).scalars()
    )
    if len(found) != 1:
        raise typer.BadParameter(
            f"no robot type with id or name '{ref}'", param_hint="--robot-type"
        )
    return found[0]


def reassess(
    episode: Annotated[
        list[str] | None, typer.Option("--episode", help="An episode id (repeat)")
    ] = None,
    robot_type: Annotated[str | None, typer.Option(help="Robot type id or name")] = None,
    failed_check: Annotated[
        str | None, typer.Option(help="Episodes that failed this check")
    ] = None,
    score_min: Annotated[float | None, typer.Option()] = None,
    score_max: Annotated[float | None, typer.Option()] = None,
    landed_after: Annotated[datetime | None, typer.Option(help="UTC, inclusive")] = None,
    landed_before: Annotated[datetime | None, typer.Option(help="UTC, exclusive")] = None,
    status: Annotated[list[str] | None, typer.Option(help="An episode status (repeat)")] = None,
    spec_version_below: Annotated[int | None, typer.Option(help="Judged by an older spec")] = None,
    preview: Annotated[
        bool, typer.Option("--preview", help="Show what would be taken; change nothing")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why (required unless --preview; recorded)")] = "",
    requested_by: Annotated[
        str, typer.Option(help="Who asks (recorded); default: your login")
    ] = "",
    override_inspector: Annotated[
        bool, typer.Option(help="Overrule inspectors' decisions (needs a reason)")
    ] = False,
) -> None:
    """Re-assess episodes: a filter (at least one criterion), --preview first."""
    from pydantic import ValidationError

    from keystone_api.db.engine import get_sessionmaker
    from keystone_api.db.unit_of_work import unit_of_work_in
    from keystone_api.qa import reassess as r
    from keystone_api.qa.schemas import ReassessIn

    load_settings()
    sessions = get_sessionmaker()
    with sessions() as session:
        type_id = _robot_type_id(session, robot_type) if robot_type else None
    raw = {
        "episode_ids": episode or None,
        "robot_type_id": type_id,
        "failed_check": failed_check,
        "score_min": score_min,
        "score_max": score_max,
        "landed_after": landed_after,
        "landed_before": landed_before,
        "status": status or None,
        "spec_version_below": spec_version_below,
    }
    try:
        body = ReassessIn(
            filter={k: v for k, v in raw.items() if v is not None},
            preview=preview,
            reason=reason,
            override_inspector=override_inspector,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"] if p != "filter") or "filter"
        typer.secho(f"keystone qa reassess: {where}: {err['msg']}", err=True, fg="red")
        sys.exit(2)
    who = f"cli:{requested_by.strip() or getpass.getuser()}"

    def run(session):  # type: ignore[no-untyped-def]
        plan = r.plan(session, body.filter, None, body.override_inspector)
        if body.preview:
            return r.answer(plan, preview=True)
        request = r.mark(
            session,
            plan,
            requested_by=who,
            reason=body.reason.strip(),
            override_inspector=body.override_inspector,
            source="cli",
            filters=body.filter.model_dump(mode="json", exclude_none=True),
        )
        return r.answer(plan, preview=False, request_id=request.id)

    typer.echo(unit_of_work_in(sessions, run).model_dump_json(indent=2))
