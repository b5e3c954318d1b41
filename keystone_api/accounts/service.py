"""Accounts: login, users, the bootstrap admin, and minting tokens for tools."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.accounts.models import Role, User
from keystone_api.accounts.passwords import DUMMY_HASH, hash_password, verify_password
from keystone_api.accounts.tokens import TokenClaims, mint
from keystone_api.common.crud import flush_or_conflict
from keystone_api.db.base import utcnow
from keystone_api.errors import Invalid, NotFound, Unauthorized
from keystone_api.settings import DeployRole, Settings, get_settings

# Roles that belong to people (devices, displays and services get minted tokens instead).
PERSON_ROLES = (Role.admin, Role.operator, Role.collector, Role.inspector, Role.data_reader)
# Roles that are not bound to one factory: an organisation's admin; a data reader reads the
# catalog of every factory (a token bound to one factory may narrow it).
UNBOUND_ROLES = (Role.admin, Role.data_reader)


def check_deploy_role(role: Role, settings: Settings) -> None:
    """A data reader exists only at the cloud: an edge's routes let any person read what
    their factory holds, which is not what a data reader is for."""
    if role == Role.data_reader and settings.role != DeployRole.cloud:
        raise Invalid("role: 'data_reader' is a cloud role (the episode catalog)")


def authenticate(session: Session, username: str, password: str) -> User:
    """The user these credentials name (Unauthorized otherwise: one message for an unknown
    user and a wrong password). Slow on purpose (Argon2): callers bound how many run."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        verify_password(DUMMY_HASH, password)  # same cost as a real check: no user probing
        raise Unauthorized("wrong username or password")
    if not verify_password(user.password_hash, password) or not user.active:
        raise Unauthorized("wrong username or password")
    user.last_login_at = utcnow()
    return user


def user_token(settings: Settings, user: User) -> str:
    claims = TokenClaims(
        "user", user.id, user.role.value, user.factory_id, token_version=user.token_version
    )
    return mint(settings, claims)


def check_role(session: Session, role: Role, factory_id: str | None) -> None:
    """A person's role, bound to a live factory unless it is an organisation's admin."""
    if role not in PERSON_ROLES:
        raise Invalid(f"role: '{role.value}' is not a person's role; mint a token instead")
    check_deploy_role(role, get_settings())
    if role not in UNBOUND_ROLES and factory_id is None:
        raise Invalid("factory_id: required for every role but admin and data_reader")
    if factory_id is not None:
        from keystone_api.registry.models import Factory

        if session.get(Factory, factory_id) is None:
            raise NotFound(f"factory '{factory_id}' not found")


def change_user(session: Session, user: User, changes: dict[str, object]) -> User:
    """A password, activity or role change revokes every token of the user issued before
    (a stolen token dies with the password; a deactivated, then reactivated account starts
    with no old token alive)."""
    revoke = False
    if changes.get("password") is not None:
        user.password_hash = hash_password(str(changes["password"]))
        revoke = True
    if changes.get("display_name") is not None:
        user.display_name = str(changes["display_name"])
    if changes.get("active") is not None and changes["active"] != user.active:
        user.active = bool(changes["active"])
        revoke = True
    role = changes.get("role")
    if role is not None and role != user.role:
        check_role(session, Role(str(role)), user.factory_id)
        user.role = Role(str(role))
        revoke = True
    if revoke:
        user.revoke_tokens()
    session.flush()
    return user


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str = "",
    factory_id: str | None = None,
) -> User:
    check_role(session, role, factory_id)
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        display_name=display_name or username,
        factory_id=factory_id,
    )
    session.add(user)
    flush_or_conflict(session, f"user '{username}'")
    return user


def ensure_bootstrap_admin(session: Session, settings: Settings) -> User | None:
    """Create the settings' admin once (KEYSTONE_BOOTSTRAP_ADMIN_PASSWORD); never overwrite."""
    if settings.bootstrap_admin_password is None:
        return None
    name = settings.bootstrap_admin_username
    existing = session.execute(select(User).where(User.username == name)).scalar_one_or_none()
    if existing is not None:
        return existing
    return create_user(
        session,
        username=name,
        role=Role.admin,
        password=settings.bootstrap_admin_password.get_secret_value(),
    )
