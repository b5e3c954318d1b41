"""Robot-type config templates (recorder.yaml, transfer.yaml): stored per robot type, served
raw to registering robots, managed by admins, with shipped defaults.

Two kinds of placeholder, so neither can be mistaken for the other:
- `{{ name }}` is filled on the robot by `axon-config` from its registration response
  (device id, URLs, token); an unknown name fails the robot's install, so templates are
  checked against the names the client knows before they are stored;
- `${name}` in the shipped defaults is filled here, once, when the defaults are installed
  for a robot type (its name, topics and schema search paths). No template holds a secret:
  each robot's own store key comes in its registration answer (`{{ storage.access_key }}`).
"""

from __future__ import annotations

import json
import re
from importlib import resources
from string import Template
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.errors import Invalid, NotFound
from keystone_api.fleet.models import RobotType, RobotTypeConfig
from keystone_api.gateways.schema_paths import check_recorder_config, search_paths
from keystone_api.gateways.schemas import TEMPLATE_NAMES
from keystone_api.settings import Settings

# What axon-config puts in its template context (axon-protocol.md section 1): the flattened
# registration response plus the values it adds itself.
CLIENT_PLACEHOLDERS = frozenset(
    {
        "device_id",
        "factory",
        "factory_id",
        "robot_type",
        "robot_type_id",
        "robot_id",
        "ws_client_auth_token",
        "endpoints.recorder_rpc_url",
        "endpoints.transfer_ws_url",
        "endpoints.keystone_ws_url",
        "recorder_rpc_url",
        "transfer_ws_url",
        "keystone_ws_url",
        "keystone_url",
        "registered_at",
        "robot_model",
        "config_dir",
        # The robot's own object-store key, from the registration answer's `storage`.
        "storage.endpoint_url",
        "storage.bucket",
        "storage.region",
        "storage.prefix",
        "storage.access_key",
        "storage.secret_key",
    }
)
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)


def placeholders(content: str) -> list[str]:
    """The client placeholders a template uses; Invalid when one is malformed."""
    names = [m.strip() for m in _PLACEHOLDER.findall(content)]
    if "" in names:
        raise Invalid("content: empty template placeholder '{{ }}'")
    if content.count("{{") != len(names):
        raise Invalid("content: unclosed template placeholder '{{'")
    return names


def check_template(content: str, filename: str | None = None) -> None:
    """Refuse what would fail on the robot: unknown placeholders, YAML that does not parse
    once the placeholders are filled, or a recorder.yaml whose recordings would carry
    empty schemas (no `recording.schema_search_paths` list)."""
    unknown = sorted(set(placeholders(content)) - CLIENT_PLACEHOLDERS)
    if unknown:
        raise Invalid(
            f"content: unknown template placeholder(s) {', '.join(unknown)} "
            "(the robot cannot fill them and would fail to install)",
            {"unknown": unknown, "known": sorted(CLIENT_PLACEHOLDERS)},
        )
    sample = _PLACEHOLDER.sub("x", content)
    try:
        doc = yaml.safe_load(sample)
    except yaml.YAMLError as exc:
        raise Invalid(f"content: not valid YAML once filled ({exc})".splitlines()[0]) from None
    if filename == "recorder.yaml":
        check_recorder_config(doc)


def check_reader(session: Session, settings: Settings, authorization: str | None) -> None:
    """Who may read the raw templates: an enrolling robot (its HTTP Basic enrollment
    secret), a robot (its device token) or staff. They hold no secret, but they say where
    the store is and what a robot type records: not for anyone on the network."""
    from keystone_api.accounts.models import Role
    from keystone_api.accounts.principal import resolve
    from keystone_api.accounts.tokens import decode
    from keystone_api.enrollment.service import EnrollmentRequired, admits_templates

    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        principal = resolve(decode(settings, token.strip()), session)
        principal.require(Role.admin, Role.operator, Role.robot)
        return
    if not admits_templates(session, authorization):
        raise EnrollmentRequired(
            "config templates need the factory's enrollment secret as HTTP Basic (as "
            "axon-config sends it from --keystone-url http://enroll:SECRET@HOST:PORT)"
        )


def _robot_type(session: Session, robot_type_id: str) -> RobotType:
    robot_type = session.get(RobotType, robot_type_id)
    if robot_type is None or robot_type.archived_at is not None:
        raise NotFound(f"robot_type '{robot_type_id}' not found")
    return robot_type


def _check_name(filename: str) -> None:
    if filename not in TEMPLATE_NAMES:
        raise NotFound(f"config '{filename}' not found (templates: {', '.join(TEMPLATE_NAMES)})")


def find_template(session: Session, robot_type_id: str, filename: str) -> RobotTypeConfig:
    _check_name(filename)
    _robot_type(session, robot_type_id)
    row = session.execute(
        select(RobotTypeConfig).where(
            RobotTypeConfig.robot_type_id == robot_type_id, RobotTypeConfig.name == filename
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no {filename} template for robot_type '{robot_type_id}'")
    return row


def list_templates(session: Session, robot_type_id: str) -> dict[str, RobotTypeConfig | None]:
    _robot_type(session, robot_type_id)
    rows = session.execute(
        select(RobotTypeConfig).where(RobotTypeConfig.robot_type_id == robot_type_id)
    ).scalars()
    stored = {row.name: row for row in rows}
    return {name: stored.get(name) for name in TEMPLATE_NAMES}


def upsert_template(
    session: Session, robot_type_id: str, filename: str, content: str
) -> RobotTypeConfig:
    _check_name(filename)
    _robot_type(session, robot_type_id)
    check_template(content, filename)
    row = session.execute(
        select(RobotTypeConfig)
        .where(RobotTypeConfig.robot_type_id == robot_type_id, RobotTypeConfig.name == filename)
        .with_for_update()
    ).scalar_one_or_none()
    if row is None:
        row = RobotTypeConfig(robot_type_id=robot_type_id, name=filename, content=content)
        session.add(row)
    else:
        row.content = content
    session.flush()
    return row


def delete_template(session: Session, robot_type_id: str, filename: str) -> None:
    session.delete(find_template(session, robot_type_id, filename))
    session.flush()


def _server_values(robot_type: RobotType, schema_search_paths: list[str]) -> dict[str, str]:
    subscriptions = [
        {
            "name": t["name"],
            "message_type": t.get("type", ""),
            # About five seconds of messages per batch, at least one.
            "batch_size": max(1, int(float(t.get("hz") or 1) * 5)),
            "flush_interval_ms": 5000,
        }
        for t in robot_type.topics
        if isinstance(t, dict) and t.get("name")
    ]
    values: dict[str, Any] = {
        "robot_type_name": robot_type.name,
        "subscriptions": subscriptions,
        "schema_search_paths": schema_search_paths,
    }
    # JSON scalars and lists are valid YAML flow values, and quote whatever needs quoting.
    values = {k: json.dumps(v) for k, v in values.items()}
    values["robot_type_name"] = robot_type.name.replace("\n", " ")
    return values


def default_template(
    robot_type: RobotType, filename: str, schema_search_paths: list[str] | None = None
) -> str:
    """A shipped template filled for `robot_type`; its recorder.yaml searches
    `schema_search_paths` for message definitions (default: ROS 2 Humble's share dir)."""
    _check_name(filename)
    shipped = resources.files("keystone_api.gateways.default_templates").joinpath(filename)
    values = _server_values(robot_type, schema_search_paths or search_paths())
    return Template(shipped.read_text()).substitute(values)


def install_defaults(
    session: Session,
    robot_type_id: str,
    *,
    overwrite: bool = False,
    schema_search_paths: list[str] | None = None,
) -> dict[str, RobotTypeConfig | None]:
    """Store the shipped templates for a robot type (keeping custom ones unless told)."""
    robot_type = _robot_type(session, robot_type_id)
    current = list_templates(session, robot_type_id)
    for filename in TEMPLATE_NAMES:
        if current[filename] is None or overwrite:
            content = default_template(robot_type, filename, schema_search_paths)
            upsert_template(session, robot_type_id, filename, content)
    return list_templates(session, robot_type_id)
