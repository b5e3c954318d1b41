"""Registration and config templates: the routes `axon-config register` calls (with the
factory's enrollment secret as HTTP Basic, which the unmodified client sends from its URL)
and the admins' management of the templates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response

from keystone_api.accounts.principal import AdminPrincipal, StaffPrincipal
from keystone_api.deps import SessionDep, SettingsDep
from keystone_api.gateways import templates
from keystone_api.gateways.registration import register_device
from keystone_api.gateways.schema_paths import DEFAULT_ROS_DISTRO, DISTRO_PATTERN, search_paths
from keystone_api.gateways.schemas import (
    RegisterIn,
    RegisterOut,
    TemplateIn,
    TemplateName,
    TemplateOut,
    TemplateSummary,
)
from keystone_api.gateways.throttle import throttle_of

router = APIRouter(prefix="/api/v1", tags=["robots"])
# Raw, not HTTPBearer: a robot enrolls with HTTP Basic (axon-config) and returns with Bearer.
Authorization = Annotated[str | None, Header(include_in_schema=False)]


@router.post(
    "/devices/register",
    response_model=RegisterOut,
    status_code=201,
    summary="A robot registers (axon-config register): its device id, endpoints, token, "
    "and its own object-store key",
    description=(
        "Needs the factory's enrollment secret as HTTP Basic (`axon-config register "
        "--keystone-url http://enroll:SECRET@edge:8080`): without it, or with one that is "
        "revoked, expired, used (one-time) or another factory's, 401 `enrollment_required`. "
        "201 is the only success. Unknown robot type: 404 naming it. With the robot's current "
        "device token as Bearer instead, it returns that robot's identity again (and a new "
        "store key; the old one stops working)."
    ),
)
def register(
    request: Request,
    body: RegisterIn,
    session: SessionDep,
    settings: SettingsDep,
    authorization: Authorization = None,
) -> RegisterOut:
    with throttle_of(request.app).door(_address(request)):
        return register_device(session, settings, body, authorization)


@router.get(
    "/robot_types/{robot_type_id}/configs/{filename}",
    response_class=Response,
    summary="A config template, raw (the robot fills its placeholders); no secret inside",
    description=(
        "For enrolling robots (the enrollment secret as HTTP Basic, as axon-config sends it; "
        "a one-time secret for an hour after its use), robots (device token) and staff."
    ),
    responses={200: {"content": {"text/yaml": {}}}, 404: {"description": "no such template"}},
)
def get_config(
    request: Request,
    robot_type_id: str,
    filename: str,
    session: SessionDep,
    settings: SettingsDep,
    authorization: Authorization = None,
) -> Response:
    with throttle_of(request.app).door(_address(request)):
        templates.check_reader(session, settings, authorization)
    row = templates.find_template(session, robot_type_id, filename)
    return Response(row.content, media_type="text/yaml; charset=utf-8")


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _summaries(rows: dict[str, Any]) -> list[TemplateSummary]:
    return [
        TemplateSummary(
            filename=name, exists=row is not None, updated_at=getattr(row, "updated_at", None)
        )
        for name, row in rows.items()
    ]


@router.get(
    "/robot_types/{robot_type_id}/config_templates",
    response_model=list[TemplateSummary],
    summary="Which templates a robot type has",
)
def list_templates(robot_type_id: str, session: SessionDep, _: StaffPrincipal) -> Any:
    return _summaries(templates.list_templates(session, robot_type_id))


@router.get(
    "/robot_types/{robot_type_id}/config_templates/{filename}",
    response_model=TemplateOut,
    summary="A template with its times (admins)",
)
def get_template(
    robot_type_id: str, filename: TemplateName, session: SessionDep, _: AdminPrincipal
) -> Any:
    row = templates.find_template(session, robot_type_id, filename)
    return TemplateOut(
        filename=row.name, content=row.content, created_at=row.created_at, updated_at=row.updated_at
    )


@router.put(
    "/robot_types/{robot_type_id}/config_templates/{filename}",
    response_model=TemplateSummary,
    summary="Create or replace a template (checked: known placeholders, YAML once filled)",
)
def put_template(
    robot_type_id: str,
    filename: TemplateName,
    body: TemplateIn,
    session: SessionDep,
    _: AdminPrincipal,
) -> Any:
    row = templates.upsert_template(session, robot_type_id, filename, body.content)
    return TemplateSummary(filename=row.name, exists=True, updated_at=row.updated_at)


@router.delete(
    "/robot_types/{robot_type_id}/config_templates/{filename}",
    status_code=204,
    summary="Remove a template (registering robots then skip both, as Axon does on a 404)",
)
def delete_template(
    robot_type_id: str, filename: TemplateName, session: SessionDep, _: AdminPrincipal
) -> Response:
    templates.delete_template(session, robot_type_id, filename)
    return Response(status_code=204)


@router.post(
    "/robot_types/{robot_type_id}/config_templates/defaults",
    response_model=list[TemplateSummary],
    summary="Install the shipped templates (robot type name, topics and schema paths filled in)",
)
def install_defaults(
    robot_type_id: str,
    session: SessionDep,
    _: AdminPrincipal,
    overwrite: bool = Query(False, description="Replace templates that already exist"),
    ros_distro: str = Query(
        DEFAULT_ROS_DISTRO,
        pattern=DISTRO_PATTERN,
        description="The robots' ROS 2 distribution: recorder.yaml's "
        "recording.schema_search_paths becomes [/opt/ros/{ros_distro}/share]",
    ),
    schema_search_paths: list[str] | None = Query(
        None,
        max_length=20,
        description="Absolute directories holding <package>/msg/<Type>.msg (repeat the "
        "parameter for several); replaces the distribution's default, e.g. to add a "
        "workspace's install/share for custom messages",
    ),
) -> Any:
    paths = search_paths(ros_distro, schema_search_paths)
    return _summaries(
        templates.install_defaults(
            session, robot_type_id, overwrite=overwrite, schema_search_paths=paths
        )
    )
