"""Dependency aliases shared by every router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from keystone_api.db.unit_of_work import transaction
from keystone_api.settings import Settings, get_settings


def get_db() -> Iterator[Session]:
    """The request boundary: services only flush; this commits (or rolls back). Never
    redone on a deadlock: the endpoint's body ran at the yield and cannot run again here."""
    with transaction() as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit is an error
# response and never a 2xx for a change that did not happen.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]


async def settings_dep() -> Settings:
    # async: a cached value needs no trip through the thread pool.
    return get_settings()


SettingsDep = Annotated[Settings, Depends(settings_dep)]

