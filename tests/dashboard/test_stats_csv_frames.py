"""The CSV exports come from the statistics frames (keystone_api/stats/frames.py), the ones
the daily QA report is written from, and still say exactly what the JSON says: every column
the JSON items have, in the same order, each cell the JSON value as text (None as empty)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pandas as pd

from keystone_api.stats.export import BREAKDOWN_COLUMNS, TREND_COLUMNS, to_csv
from tests.api.world import World, auth, ok
from tests.dashboard.seed import Production


def _rows(w: World, path: str, **params: Any) -> tuple[list[str], list[dict[str, str]]]:
    response = w.client.get(f"/api/v1/stats/{path}", params=params, headers=auth(w.admin))
    assert response.status_code == 200, response.text
    reader = csv.DictReader(io.StringIO(response.text))
    return list(reader.fieldnames or []), list(reader)


def _text(value: Any, column: str) -> str:
    """The JSON value as the export writes it (the export before the frames did the same)."""
    if value is None:
        return ""
    if column == "start":
        return datetime.fromisoformat(value).isoformat()
    return str(value)


def test_breakdown_csv_equals_the_json_for_every_dimension_it_is_asked(
    seeded_world: World, production: Production
) -> None:
    w = seeded_world
    for dimension in ("robot", "workstation", "collector", "qa_status", "sync_state"):
        params = {"factory_id": w.factory_id, "dimension": dimension}
        json_items = ok(
            w.client.get("/api/v1/stats/breakdown", params=params, headers=auth(w.admin))
        )["items"]
        columns, rows = _rows(w, "breakdown.csv", **params)
        assert columns == BREAKDOWN_COLUMNS
        assert rows == [{c: _text(item[c], c) for c in columns} for item in json_items], dimension
        # A missing rate stays empty, not "nan".
        assert all(r["avg_qa_score"] != "nan" for r in rows)


def test_trend_csv_equals_the_json(seeded_world: World, production: Production) -> None:
    w = seeded_world
    for granularity in ("hour", "day"):
        params = {"factory_id": w.factory_id, "granularity": granularity}
        json_items = ok(w.client.get("/api/v1/stats/trend", params=params, headers=auth(w.admin)))[
            "items"
        ]
        columns, rows = _rows(w, "trend.csv", **params)
        assert columns == TREND_COLUMNS
        assert rows == [{c: _text(item[c], c) for c in columns} for item in json_items]
        assert sum(int(r["episodes"]) for r in rows) == 5
        # Empty hours have no rate: an empty cell, as before.
        assert any(r["qa_pass_rate"] == "" for r in rows) or granularity == "day"


def test_a_cell_typed_as_a_formula_is_neutralised_and_numbers_are_kept() -> None:
    frame = pd.DataFrame(
        {"name": ["=HYPERLINK(1)", "-3", "@x", None], "rate": [0.25, None, 1.0, -0.5]}
    )
    assert to_csv(frame).splitlines() == [
        "name,rate",
        "'=HYPERLINK(1),0.25",
        "-3,",
        "'@x,1.0",
        ",-0.5",
    ]
