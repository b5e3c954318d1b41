"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from keystone_api import __version__
from keystone_api.api_docs import install_docs
from keystone_api.errors import ERROR_RESPONSES, install_error_handlers
from keystone_api.middleware import BodySizeLimit
from keystone_api.openapi_links import install_links
from keystone_api.settings import DeployRole, get_settings

log = logging.getLogger("keystone.app")

DESCRIPTION = """The factory's system of record: registries, orders, batches and tasks, the
robots' callbacks, the episode registry and inspection.

Authenticate with `Authorization: Bearer <token>`: a person's token from
`POST /api/v1/auth/login`, a robot's device token, or a task's `user_token` (callbacks only).
Every error has the same shape: `{"error": {"code", "message", "details"}}`.
"""


def _bootstrap() -> None:
    """Create the settings' bootstrap admin once, if configured and the schema is there."""
    from keystone_api.accounts.service import ensure_bootstrap_admin
    from keystone_api.db.unit_of_work import unit_of_work

    settings = get_settings()
    if settings.bootstrap_admin_password is None:
        return
    try:
        unit_of_work(ensure_bootstrap_admin, settings)
    except Exception as exc:  # noqa: BLE001 - the API still serves; /readyz tells the state
        log.warning("bootstrap admin not created: %s", exc)


# Database round trips of a worker thread (the robots' group commit) wait for the GIL after
# every answer while the event loop runs requests; by default the loop keeps it up to 5 ms.
SWITCH_INTERVAL_S = 0.0005
TUNE_AFTER_S = 1.0


def _tune_for_serving() -> None:
    """Process settings for a serving API, measured with bench/api_callbacks_bench.py.

    What is loaded by then (modules, routes, models, mappers) lives as long as the process:
    frozen, it is out of the cycle collector's sight and a full collection scans only what
    requests allocated (full collections paused a worker 107-120 ms, the whole p99 of the
    callback load; frozen, 7-11 ms). A shorter GIL switch interval hands the GIL back to a
    thread whose database answer arrived sooner (batches slower than 30 ms: 45 -> 17-27 a
    run, p99 98-120 -> 57-85 ms)."""
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL_S)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    _bootstrap()
    # Once serving: uvicorn binds its port after startup, and a full collection here would
    # delay that (and freeze less of what the first requests load).
    asyncio.get_running_loop().call_later(TUNE_AFTER_S, _tune_for_serving)
    yield
    from keystone_api.db.engine import get_engine

    get_engine().dispose()


def _edge_routers(app: FastAPI, gateways: str) -> None:
    from keystone_api.accounts.router import router as accounts_router
    from keystone_api.alerts.router import router as alerts_router
    from keystone_api.callbacks.router import router as callbacks_router
    from keystone_api.common.resource import build_router
    from keystone_api.dashboard.router import mount_dashboard
    from keystone_api.enrollment.router import router as enrollment_router
    from keystone_api.episodes.inspection_router import router as inspection_router
    from keystone_api.episodes.router import router as episodes_router
    from keystone_api.fleet.resources import RESOURCES as FLEET
    from keystone_api.gateways.router import gateway_router, registration_router
    from keystone_api.metrics.router import router as metrics_router
    from keystone_api.orders.router import router as orders_router
    from keystone_api.orders.tasks_router import router as tasks_router
    from keystone_api.qa.router import router as qa_router
    from keystone_api.registry.resources import RESOURCES as REGISTRY
    from keystone_api.stats.router import router as stats_router
    from keystone_api.sync.router import router as sync_router

    if gateways == "only":  # `keystone gateway`: the robots' sockets and nothing else
        app.include_router(gateway_router, responses=ERROR_RESPONSES)
        return
    # Routes are matched in order, one by one: robots' calls (callbacks, and heartbeats
    # under the fleet's routers) come first; matching them last was ~9 % of their CPU.
    routers = [
        callbacks_router,
        *(build_router(r) for r in FLEET),
        accounts_router,
        *(build_router(r) for r in REGISTRY),
        orders_router,
        tasks_router,
        episodes_router,
        inspection_router,
        qa_router,
        registration_router,
        enrollment_router,
        stats_router,
        sync_router,
        alerts_router,
        metrics_router,
    ]
    if gateways == "on":
        routers.append(gateway_router)
    for router in routers:
        app.include_router(router, responses=ERROR_RESPONSES)
    mount_dashboard(app)


def create_app() -> FastAPI:
    from keystone_api.health.router import router as health_router
    from keystone_api.preflight import check_signing_key

    settings = get_settings()
    # Also here, not only in `keystone api`: uvicorn may be pointed at this factory directly.
    check_signing_key(settings)
    app = FastAPI(
        title=f"Keystone {settings.role.value}",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_lifespan,
        # Operation ids are the route names (unique), so generated clients read well.
        generate_unique_id_function=lambda route: route.name,
        # /docs and /redoc with their scripts from this server, not a CDN (api_docs.py).
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.include_router(health_router)
    if settings.role == DeployRole.edge:
        _edge_routers(app, settings.gateways)
    else:
        from keystone_api.cloud.pages import mount_cloud

        mount_cloud(app)  # accounts, the sync receiver, the episode catalog and its pages
    install_docs(app)  # after the API's routes: matched in order, and the robots' come first
    install_links(app)
    return app
