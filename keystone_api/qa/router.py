"""QA operations: re-assess episodes (preview first), an episode's assessment history, and
the versions of a robot type's QA spec with what the latest would decide differently."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from keystone_api.accounts.models import Role
from keystone_api.accounts.principal import InspectorPrincipal, ReaderPrincipal
from keystone_api.common.crud import get_or_404
from keystone_api.deps import SessionDep, SettingsDep
from keystone_api.episodes.router import load_episode
from keystone_api.errors import Forbidden
from keystone_api.fleet.models import RobotType
from keystone_api.qa import reassess as r
from keystone_api.qa import schemas as s
from keystone_api.qa.episode_view import episode_qa
from keystone_api.qa.spec_change import spec_change_preview
from keystone_api.qa.spec_versions import versions_of

router = APIRouter(prefix="/api/v1/qa", tags=["qa"])


@router.post(
    "/reassess",
    response_model=s.ReassessOut,
    summary="Re-assess episodes: preview (default) or mark them for the next QA run",
    description="The filter's episodes are previewed (count, a sample of ids, what is left "
    "alone and why) with `preview: true`; `preview: false` with a `reason` marks them. "
    "Synced episodes are re-assessed for the record only; inspectors' decisions stay unless "
    "`override_inspector: true` (admins, with a reason).",
)
def reassess(body: s.ReassessIn, session: SessionDep, principal: InspectorPrincipal) -> Any:
    if body.override_inspector and principal.role != Role.admin:
        raise Forbidden("override_inspector: only an admin may overrule inspectors' decisions")
    plan = r.plan(session, body.filter, principal.factory_id, body.override_inspector)
    if body.preview:
        return r.answer(plan, preview=True)
    request = r.mark(
        session,
        plan,
        requested_by=principal.actor,
        reason=body.reason.strip(),
        override_inspector=body.override_inspector,
        source="api",
        filters=body.filter.model_dump(mode="json", exclude_none=True),
    )
    return r.answer(plan, preview=False, request_id=request.id)


@router.get(
    "/episodes/{episode_id}",
    response_model=s.EpisodeQaOut,
    summary="An episode's QA assessments, newest first, with the spec version of each",
)
def episode_history(episode_id: str, session: SessionDep, principal: ReaderPrincipal) -> Any:
    return episode_qa(session, load_episode(session, principal, episode_id))


@router.get(
    "/robot-types/{robot_type_id}/spec-versions",
    response_model=list[s.SpecVersionOut],
    summary="The versions of a robot type's QA spec, newest first",
)
def spec_versions(robot_type_id: str, session: SessionDep, principal: ReaderPrincipal) -> Any:
    get_or_404(session, RobotType, robot_type_id, "robot type")
    return versions_of(session, robot_type_id)


@router.get(
    "/robot-types/{robot_type_id}/spec-change",
    response_model=s.SpecChangeOut,
    summary="After a spec change: the episodes its latest version would decide differently",
)
def spec_change(
    robot_type_id: str, session: SessionDep, settings: SettingsDep, principal: InspectorPrincipal
) -> Any:
    get_or_404(session, RobotType, robot_type_id, "robot type")
    return spec_change_preview(
        session, robot_type_id, principal.factory_id, settings.qa_auto_approve_score
    )
