"""Tokens as an admin mints them: recorded in the instance's token registry (a tool, display
or service token without its record is refused), signed with that instance's settings."""

from __future__ import annotations

import functools

from sqlalchemy.orm import Session, sessionmaker

from keystone_api.accounts.models import Role
from keystone_api.accounts.registry import mint_recorded
from keystone_api.settings import Settings


@functools.lru_cache(maxsize=8)
def _sessions(database_url: str) -> sessionmaker[Session]:
    from keystone_api.db.engine import make_engine

    return sessionmaker(make_engine(database_url), expire_on_commit=False)


def recorded_token(
    settings: Settings,
    role: str,
    *,
    database_url: str | None = None,
    ttl_s: int = 24 * 3600,
    factory_id: str | None = None,
    organization_id: str | None = None,
    label: str = "test",
) -> str:
    """A token of `role` minted and recorded as POST /api/v1/tokens does, in the database
    at `database_url` (default: this process's, the edge's)."""
    from keystone_api.db.engine import get_sessionmaker

    sessions = _sessions(database_url) if database_url else get_sessionmaker()
    with sessions.begin() as session:
        _, token = mint_recorded(
            session,
            settings,
            Role(role),
            ttl_s=ttl_s,
            factory_id=factory_id,
            organization_id=organization_id,
            label=label,
        )
    return token
