"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from keystone_api import __version__
from keystone_api.errors import install_error_handlers
from keystone_api.health.router import router as health_router
from keystone_api.settings import get_settings


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    from keystone_api.db.engine import get_engine

    get_engine().dispose()


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title=f"Keystone {settings.role.value}",
        version=__version__,
        description="The factory's system of record: registries, orders, tasks, robot "
        "callbacks, episodes, inspection and sync.",
        lifespan=_lifespan,
    )
    install_error_handlers(app)
    app.include_router(health_router)
    return app
