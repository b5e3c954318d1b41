"""The registry of minted tokens (tool, display, service): each is recorded when minted
(never the token itself, only its id, what it may do and for how long), listed for admins,
and revocable one by one; a token of these kinds without a live record is refused."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from keystone_api.accounts.models import ApiToken, Role
from keystone_api.accounts.service import check_deploy_role
from keystone_api.accounts.tokens import TokenClaims, mint
from keystone_api.db.base import utcnow
from keystone_api.errors import Invalid, Unauthorized
from keystone_api.ids import new_id
from keystone_api.settings import Settings

KIND_OF = {Role.display: "display", Role.service: "service"}
TOOL_ROLES = (Role.admin, Role.operator, Role.inspector, Role.collector, Role.data_reader)


def mint_recorded(
    session: Session,
    settings: Settings,
    role: Role,
    *,
    ttl_s: int,
    factory_id: str | None = None,
    organization_id: str | None = None,
    label: str = "",
    created_by: str = "",
) -> tuple[ApiToken, str]:
    """A new token of `role` for a tool, a screen or a sync sender, and its record."""
    if role not in KIND_OF and role not in TOOL_ROLES:
        raise Invalid(f"role: '{role.value}' tokens are not minted here (robots register)")
    check_deploy_role(role, settings)
    if organization_id is not None and role != Role.service:
        raise Invalid("organization_id: only a service token replicates an organization")
    kind = KIND_OF.get(role, "tool")
    row = ApiToken(
        id=new_id(),
        kind=kind,
        role=role.value,
        factory_id=factory_id,
        organization_id=organization_id,
        label=label[:200],
        created_by=created_by[:100],
        created_at=utcnow(),
        expires_at=utcnow() + timedelta(seconds=ttl_s),
    )
    session.add(row)
    session.flush()
    # Its subject is its id too: histories name the token that acted ("tool:<id>"), and
    # GET /tokens says who minted it and for what.
    claims = TokenClaims(
        kind, row.id, role.value, factory_id, organization_id=organization_id, jti=row.id
    )
    return row, mint(settings, claims, ttl_s)


def check_recorded(session: Session, claims: TokenClaims) -> None:
    """The token's record exists, says what the token says, and is not revoked (expiry is
    checked on every decode). One primary-key read: screens and senders call often."""
    row = session.get(ApiToken, claims.jti) if claims.jti else None
    if row is None or (row.kind, row.role, row.factory_id, row.organization_id) != (
        claims.kind,
        claims.role,
        claims.factory_id,
        claims.organization_id,
    ):
        raise Unauthorized(f"{claims.kind} token not recorded here (mint tokens with the API)")
    if row.revoked_at is not None:
        raise Unauthorized(f"{claims.kind} token revoked")


def revoke(session: Session, row: ApiToken, by: str) -> ApiToken:
    row.revoke(by)
    session.flush()
    return row
