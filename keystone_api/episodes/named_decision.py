"""A decision taken outside the API (the Dagster Launchpad's inspection job) on behalf of a
named account. The API knows who decides from the login; here the name is typed in, so it
is recorded only when it is an account that could have decided through the API: active,
an inspector, operator or admin, of the episode's factory or organisation-wide."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from keystone_api.accounts.models import Role, User
from keystone_api.episodes.inspection import decide
from keystone_api.episodes.models import Episode
from keystone_api.errors import Forbidden, NotFound
from keystone_api.settings import Settings

# The roles of InspectorPrincipal (POST /episodes/{id}/inspection).
DECIDING_ROLES = (Role.admin, Role.operator, Role.inspector)


def deciding_account(session: Session, username: str, factory_id: str) -> User:
    user = session.execute(
        select(User).where(
            User.username == username,
            User.active.is_(True),
            User.role.in_(DECIDING_ROLES),
            or_(User.factory_id.is_(None), User.factory_id == factory_id),
        )
    ).scalar_one_or_none()
    if user is None:
        roles = ", ".join(r.value for r in DECIDING_ROLES)
        raise Forbidden(
            f"inspector '{username}': no active account ({roles}) of the episode's "
            "factory has this username"
        )
    return user


def decide_as(
    session: Session,
    settings: Settings,
    episode_id: str,
    decision: str,
    *,
    username: str,
    reason: str = "",
    notes: str = "",
    source: str,
) -> Episode:
    """`decide`, recorded under the named account (its id and username)."""
    episode = session.get(Episode, episode_id)
    if episode is None:
        raise NotFound(f"episode '{episode_id}' not found")
    user = deciding_account(session, username, episode.factory_id)
    return decide(
        session,
        settings,
        episode_id,
        decision,
        inspector_name=user.username,
        inspector_user_id=user.id,
        reason=reason,
        notes=notes,
        source=source,
        factory_id=episode.factory_id,
    )
