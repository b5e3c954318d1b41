"""The baseline of the callback benchmark: a bare FastAPI endpoint doing one indexed SELECT
on the same database, served by uvicorn the same way as Keystone."""

from __future__ import annotations

import os

from fastapi import FastAPI
from sqlalchemy import text

from keystone_api.db.engine import make_engine

app = FastAPI()
engine = make_engine(os.environ["KEYSTONE_DATABASE_URL"])


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/bare/{task_id}")
def bare(task_id: str) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, status FROM tasks WHERE id = :id"), {"id": task_id}
        ).first()
    return {"id": task_id, "status": row[1] if row else None}
