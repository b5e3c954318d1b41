"""Dependency aliases shared by every router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from keystone_api.db.engine import get_sessionmaker
from keystone_api.settings import Settings, get_settings


def get_db() -> Iterator[Session]:
    """The request boundary: services only flush; this commits (or rolls back)."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response is sent, so a failed commit is an error
# response and never a 2xx for a change that did not happen.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
