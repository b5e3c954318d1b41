"""The cloud's pages: the episode catalog with its filters, an episode with its downloads,
and what each factory delivered. Static HTML and JS like the edge dashboard's, using its
api.js (token, login, API calls) and CSS, served at the same /dashboard/static path; the
pages hold no data, their scripts call /api/v1/catalog with the reader's token."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from keystone_api.dashboard.router import STATIC as DASHBOARD_STATIC
from keystone_api.dashboard.router import _headers as page_headers
from keystone_api.errors import ERROR_RESPONSES

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type="text/html", headers=page_headers())


@router.get("/")
def cloud_landing() -> Response:
    # The cloud's first page is its catalog (the edge's `/` is a landing page of its tools;
    # the cloud has one tool for people).
    return RedirectResponse("/catalog", status_code=307)


@router.get("/catalog")
def catalog_page() -> Response:
    return _page("catalog.html")


@router.get("/catalog/")
def catalog_slash() -> Response:
    return RedirectResponse("/catalog", status_code=307)


@router.get("/catalog/episodes/{episode_id}")
def episode_page(episode_id: str) -> Response:
    return _page("episode.html")


@router.get("/catalog/factories")
def factories_page() -> Response:
    return _page("factories.html")


@router.get("/catalog/factories/{factory_id}")
def factory_page(factory_id: str) -> Response:
    return _page("factory.html")


def mount_cloud(app: FastAPI) -> None:
    """Everything the cloud role serves besides health: accounts, the sync receiver, the
    catalog API and its pages."""
    # Every model, so that foreign keys resolve: a user names a factory (`factories`), whose
    # model no cloud route imports; without it creating an account at the cloud was a 500.
    import keystone_api.db.models  # noqa: F401
    from keystone_api.accounts.router import router as accounts_router
    from keystone_api.cloud.catalog_router import router as catalog_router
    from keystone_api.cloud.router import router as cloud_router

    for api in (accounts_router, cloud_router, catalog_router):
        app.include_router(api, responses=ERROR_RESPONSES)
    app.include_router(router)
    app.mount("/catalog/static", StaticFiles(directory=STATIC), name="catalog-static")
    app.mount("/dashboard/static", StaticFiles(directory=DASHBOARD_STATIC), name="shared-static")
