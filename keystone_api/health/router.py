"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from keystone_api import __version__
from keystone_api.db.engine import get_engine
from keystone_api.deps import SettingsDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz(settings: SettingsDep) -> dict[str, Any]:
    return {"status": "ok", "role": settings.role.value, "version": __version__}


@router.get("/readyz", summary="Readiness: the database answers")
def readyz() -> JSONResponse:
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return JSONResponse(
            {"status": "unavailable", "database": f"unreachable: {type(exc).__name__}"},
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": "ok"})
