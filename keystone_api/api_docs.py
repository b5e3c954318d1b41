"""The API's documentation pages, served whole by this server: Swagger UI at /docs, ReDoc at
/redoc. A factory edge is often offline, and with FastAPI's defaults (scripts from a CDN)
both pages were blank. Their scripts and styles are the ones the `fastapi-offline` package
ships, mounted at /docs/static; nothing is vendored by hand.

Each page also carries a Content-Security-Policy that lets nothing load from elsewhere:
ReDoc's sidebar asks cdn.redoc.ly for a logo (it hides the picture when that fails), and
Swagger UI would ask validator.swagger.io for a badge (turned off in its parameters). Like
today, the pages and the OpenAPI document are public: they describe doors, not data.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = "/docs/static"
# Swagger UI starts from an inline script, and both draw with inline styles; ReDoc searches
# in a worker made from a blob. Everything else from this server only.
POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = {"Content-Security-Policy": POLICY, "Referrer-Policy": "no-referrer"}


def _with_policy(page: HTMLResponse) -> HTMLResponse:
    page.headers.update(HEADERS)
    return page


def _root(request: Request) -> str:
    """The path prefix a proxy serves this app under (uvicorn --root-path), as FastAPI's own
    pages use it."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def install_docs(app: FastAPI, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """For an app made with docs_url=None and redoc_url=None (FastAPI's own pages)."""
    app.mount(STATIC, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-static")
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        return _with_policy(
            get_swagger_ui_html(
                openapi_url=root + openapi_url,
                title=f"{app.title} - Swagger UI",
                oauth2_redirect_url=root + oauth2_redirect,
                swagger_js_url=f"{root}{STATIC}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{STATIC}/swagger-ui.css",
                swagger_favicon_url=f"{root}{STATIC}/favicon.png",
                # Its validator badge is an image from validator.swagger.io.
                swagger_ui_parameters={**(app.swagger_ui_parameters or {}), "validatorUrl": None},
            )
        )

    @app.get(oauth2_redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return _with_policy(get_swagger_ui_oauth2_redirect_html())

    @app.get(redoc_url, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = _root(request)
        return _with_policy(
            get_redoc_html(
                openapi_url=root + openapi_url,
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{STATIC}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{STATIC}/favicon.png",
                with_google_fonts=False,
            )
        )
