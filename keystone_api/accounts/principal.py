"""Who is calling: the bearer token resolved to a Principal, and the role checks.

Object-level rule: a principal bound to a factory sees nothing of another factory; such
lookups answer 404 (not 403), so IDs of other factories are not even confirmed to exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from keystone_api.accounts.models import Role, User
from keystone_api.accounts.registry import check_recorded
from keystone_api.accounts.tokens import RECORDED_KINDS, TokenClaims, decode
from keystone_api.deps import SessionDep, SettingsDep
from keystone_api.errors import Forbidden, NotFound, Unauthorized
from keystone_api.fleet.models import Robot

bearer = HTTPBearer(auto_error=False, description="JWT from /api/v1/auth/login or a device token")


@dataclass(frozen=True)
class Principal:
    kind: str  # user | device | task | display | service
    role: Role
    subject: str  # user id, robot id, task id ...
    name: str
    factory_id: str | None = None
    device_id: str | None = None
    robot_id: str | None = None
    task_id: str | None = None
    data_collector_id: str | None = None
    organization_id: str | None = None  # service tokens: the organization it may replicate

    @property
    def actor(self) -> str:
        """How this principal appears in histories: 'user:alice', 'device:AB-...'."""
        return f"{self.kind}:{self.name}"

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"role '{self.role.value}' may not do this (allowed: {allowed})")

    def sees_factory(self, factory_id: str | None) -> bool:
        return self.factory_id is None or self.factory_id == factory_id

    def check_factory(self, factory_id: str | None, what: str = "resource") -> None:
        if not self.sees_factory(factory_id):
            raise NotFound(f"{what} not found")


# Built once with a bind parameter: devices call all the time.
_DEVICES = select(
    Robot.id,
    Robot.device_id,
    Robot.factory_id,
    Robot.token_version,
    Robot.archived_at,
    Robot.maintenance,
).where(Robot.id.in_(bindparam("ids", expanding=True)))


def check_device(row: Any, claims: TokenClaims) -> Any:
    """The robot row behind a device token, if it is registered and the token not revoked."""
    if row is None or row.archived_at is not None:
        raise Unauthorized("device not registered")
    if claims.token_version != row.token_version:
        raise Unauthorized("device token revoked (rotated)")
    return row


def device_rows(conn: Connection, claims: list[TokenClaims]) -> dict[str, Any]:
    """The robots behind device tokens by id, in one Core SELECT (an ORM load cost more than
    the rest of a heartbeat); check each with check_device."""
    ids = sorted({c.sub for c in claims})
    return {row.id: row for row in conn.execute(_DEVICES, {"ids": ids})}


def device_row(session: Session, claims: TokenClaims) -> Any:
    """The robot behind one device token, checked."""
    return check_device(device_rows(session.connection(), [claims]).get(claims.sub), claims)


def device_principal(row: Any) -> Principal:
    return Principal(
        "device",
        Role.robot,
        row.id,
        row.device_id,
        row.factory_id,
        device_id=row.device_id,
        robot_id=row.id,
    )


def resolve(claims: TokenClaims, session: Session) -> Principal:
    """The principal behind verified claims (a database lookup for people and devices)."""
    if claims.kind == "user":
        user = session.get(User, claims.sub)
        if user is None or not user.active:
            raise Unauthorized("account disabled or removed")
        if claims.token_version != user.token_version:
            raise Unauthorized("token revoked (the account's password, role or status changed)")
        collector_id = None
        if user.role == Role.collector:
            from keystone_api.fleet.models import DataCollector

            collector = session.query(DataCollector.id).filter_by(user_id=user.id).first()
            collector_id = collector[0] if collector else None
        return Principal(
            "user",
            user.role,
            user.id,
            user.username,
            user.factory_id,
            data_collector_id=collector_id,
        )
    if claims.kind == "device":
        return device_principal(device_row(session, claims))
    if claims.kind in RECORDED_KINDS:
        check_recorded(session, claims)
    return token_principal(claims)


def token_principal(claims: TokenClaims) -> Principal:
    """The principal of a token that is all it says (a task's user_token; a display,
    service or tool token once its record was checked): no database lookup here."""
    role = Role(claims.role)
    if claims.kind == "task":
        return Principal(
            "task",
            Role.robot,
            claims.sub,
            claims.device_id or claims.sub,
            claims.factory_id,
            device_id=claims.device_id,
            task_id=claims.task_id,
        )
    return Principal(
        claims.kind,
        role,
        claims.sub,
        claims.sub,
        claims.factory_id,
        organization_id=claims.organization_id,
    )


def current_principal(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing bearer token")
    principal = resolve(decode(settings, credentials.credentials), session)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def bearer_claims(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> TokenClaims:
    """Verified token claims without touching the database (async: no thread hop); the
    principal is resolved later, inside the request's unit of work."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing bearer token")
    return decode(settings, credentials.credentials)


BearerClaims = Annotated[TokenClaims, Depends(bearer_claims)]


def roles(*allowed: Role) -> Callable[[Principal], Principal]:
    """Dependency: the caller must hold one of these roles."""

    def _check(principal: CurrentPrincipal) -> Principal:
        principal.require(*allowed)
        return principal

    return _check


STAFF = (Role.admin, Role.operator)
ADMIN = (Role.admin,)
AdminPrincipal = Annotated[Principal, Depends(roles(*ADMIN))]
StaffPrincipal = Annotated[Principal, Depends(roles(*STAFF))]
ReaderPrincipal = Annotated[
    Principal, Depends(roles(Role.admin, Role.operator, Role.inspector, Role.collector))
]
InspectorPrincipal = Annotated[Principal, Depends(roles(Role.admin, Role.operator, Role.inspector))]
