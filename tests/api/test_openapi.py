"""The OpenAPI document is complete enough to generate a client from, and a fuzzing pass
over every operation (schemathesis) finds no 5xx and no response that breaks the schema."""

from __future__ import annotations

import collections
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.api.world import auth, tool_token


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    """The document as the app serves it (in-process: serving it needs no database)."""
    from fastapi.testclient import TestClient

    from tests.support.in_process import edge_app

    return TestClient(edge_app()).get("/openapi.json").json()  # type: ignore[no-any-return]


def test_operations_have_unique_ids_summaries_and_error_shapes(openapi) -> None:
    ops = [op for path in openapi["paths"].values() for op in path.values()]
    counts = collections.Counter(op["operationId"] for op in ops)
    assert not [k for k, v in counts.items() if v > 1]
    assert all(op.get("summary") for op in ops)
    authed = [op for op in ops if op["operationId"] not in ("healthz", "readyz")]
    assert all("422" in op["responses"] and "401" in op["responses"] for op in authed)
    assert openapi["components"]["schemas"]["ErrorBody"]["required"] == ["error"]


def test_callbacks_are_documented_with_the_recorders_examples(openapi) -> None:
    schemas = openapi["components"]["schemas"]
    finish = schemas["FinishCallback"]
    assert finish["examples"][0]["status"] == "finished"
    assert {
        "task_id",
        "device_id",
        "status",
        "started_at",
        "finished_at",
        "duration_sec",
        "message_count",
        "file_size_bytes",
    } <= set(finish["required"])
    assert "/api/v1/callbacks/finish" in openapi["paths"]


@pytest.fixture(scope="module")
def api_schema(live_api: str):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_url(live_api + "/openapi.json")


# Server-sent event streams never end, so a request/response fuzzer can only time out on
# them; tests/gateways/test_state_stream.py covers the stream itself.
schema = schemathesis.pytest.from_fixture("api_schema").exclude(path="/api/v1/device-state/stream")


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzz_no_server_errors_and_responses_match_the_schema(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(
        headers=auth(tool_token("admin")), checks=[not_a_server_error, response_schema_conformance]
    )
