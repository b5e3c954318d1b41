"""The quality dashboard's pages: static HTML + JS + CSS served by the API itself (no build
step, no CDN: factory networks are often offline). The pages hold no data; their scripts
call the JSON API with a bearer token (a login kept in localStorage until it expires, or a
display token in the URL fragment of a floor screen, which browsers never send to a server).

Routes are left out of the OpenAPI document: they are pages, not API.
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from keystone_api.settings import get_settings

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)


def _headers() -> dict[str, str]:
    settings = get_settings()
    parts = urlsplit(settings.s3_endpoint_url)
    s3_origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return {
        # Scripts and styles from this server only; evidence pictures come from the object
        # store's presigned URLs, so its origin is allowed for images.
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            f"img-src 'self' data: blob: {s3_origin}; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        ),
        # Never tell another site which page linked to it.
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type="text/html", headers=_headers())


def _refusal(status: int, message: str) -> HTMLResponse:
    body = (STATIC / "refused.html").read_text().replace("{{message}}", html.escape(message))
    return HTMLResponse(body, status_code=status, headers=_headers())


@router.get("/")
def landing_page() -> Response:
    """Where `make dev`'s first URL leads: a line on each page and who it is for. The
    Dagster UI runs elsewhere, at the URL its setting names."""
    dagster = get_settings().dagster_url
    link = (
        f'<a href="{html.escape(dagster)}">Dagster</a>'
        if dagster
        else "Dagster <em>(its URL is not configured here: KEYSTONE_DAGSTER_URL)</em>"
    )
    body = (STATIC / "landing.html").read_text().replace("{{dagster_link}}", link)
    return HTMLResponse(body, headers=_headers())


@router.get("/dashboard")
def dashboard_page() -> Response:
    return _page("index.html")


@router.get("/dashboard/")
def dashboard_slash() -> Response:
    return RedirectResponse("/dashboard", status_code=307)


@router.get("/dashboard/inspection")
def inspection_page() -> Response:
    return _page("inspection.html")


@router.get("/dashboard/robots")
def robots_page() -> Response:
    return _page("robots.html")


@router.get("/dashboard/episodes")
def episodes_page() -> Response:
    """Search episodes (filters in the query string, so a search is a link to share)."""
    return _page("episodes.html")


@router.get("/dashboard/episodes/{episode_id}")
def episode_page(episode_id: str) -> Response:
    return _page("episode.html")


@router.get("/dashboard/display")
def display_page(token: str | None = None) -> Response:
    """The floor screen. Its token goes after the '#' (/dashboard/display#token=...), which
    browsers never send: a token in the query string would land in every access log and
    proxy on the way, so one there is refused (without echoing it)."""
    if token is not None:
        return _refusal(
            400,
            "Put the display token after '#', not in the query: /dashboard/display#token=... "
            "(a query string is written to access logs; mint a new token if this one leaked).",
        )
    return _page("display.html")


def mount_dashboard(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/dashboard/static", StaticFiles(directory=STATIC), name="dashboard-static")
