"""Domain errors and the one place that turns every error into the same JSON shape.

Every 4xx/5xx body is {"error": {"code": str, "message": str, "details": ...}}, so a robot
team's client needs one error type. Services raise DomainError subclasses and know
nothing of HTTP.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("keystone.errors")


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Invalid(DomainError):
    status_code = 422
    code = "invalid"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"
    challenge = "Bearer"  # the WWW-Authenticate answer: what to present instead


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class TooManyRequests(DomainError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after_s: int, details: Any = None) -> None:
        super().__init__(message, details)
        self.retry_after_s = retry_after_s


class Unavailable(DomainError):
    status_code = 503
    code = "unavailable"


class ErrorDetail(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["task '0193f0c2-5b7e-7c1a-9d2e-1f2a3b4c5d6e' not found"])
    details: Any = None


class ErrorBody(BaseModel):
    """The one shape of every 4xx/5xx answer."""

    error: ErrorDetail


# Documented on every route, so generated clients know the error type.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "Missing, invalid or expired bearer token"),
        (403, "The caller's role may not do this"),
        (404, "Unknown id, or an object of another factory"),
        (409, "Conflict with the current state (the body names it)"),
        (413, "Request body too large"),
        (422, "Malformed JSON, wrong types, unknown fields (the message names the field)"),
        (503, "Database unavailable; retry later"),
    )
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}


def _json(
    status: int, code: str, message: str, details: Any = None, **headers: str
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, details), status_code=status, headers=headers or None
    )


def _field_path(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": exc.challenge} if isinstance(exc, Unauthorized) else {}
        if isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(exc.retry_after_s)
        return _json(exc.status_code, exc.code, exc.message, exc.details, **headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": _field_path(e.get("loc", ())),
                "message": e.get("msg", ""),
                "type": e.get("type"),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "body", "message": "invalid request"}
        if first.get("type") == "json_invalid":
            message = f"malformed JSON: {first['message']}"
        else:
            message = f"{first['field']}: {first['message']}"
        return _json(422, "validation_error", message, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            409: "conflict",
            413: "payload_too_large",
            415: "unsupported_media_type",
        }
        return _json(
            exc.status_code,
            codes.get(exc.status_code, "http_error"),
            str(exc.detail),
            **(exc.headers or {}),
        )

    @app.exception_handler(StaleDataError)
    async def _stale(_: Request, exc: StaleDataError) -> JSONResponse:
        return _json(409, "concurrent_update", "the record was changed concurrently; retry")

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    async def _db_down(_: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", exc)
        return _json(
            503,
            "database_unavailable",
            "the database is unavailable; retry later",
            **{"Retry-After": "5"},
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        message = str(exc.orig).lower()
        if "foreign key" in message:
            return _json(409, "conflict", "a referenced record does not exist or is still in use")
        if "duplicate" in message or "unique" in message:
            return _json(409, "conflict", "a record with these values already exists")
        log.exception("integrity error")
        return _json(409, "conflict", "the change violates a database constraint")

    @app.exception_handler(DBAPIError)
    async def _db_error(_: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return _json(
                503,
                "database_unavailable",
                "the database connection was lost; retry",
                **{"Retry-After": "5"},
            )
        log.exception("database error")
        return _json(500, "internal_error", "internal database error")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return _json(500, "internal_error", "internal error")
