"""Which errors are outages (retried, order kept) and which need a person (parked): the
classification itself, on real exception types (what a failure leaves in the row is in
test_units.py)."""

from __future__ import annotations

import json

import httpx
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from sqlalchemy.exc import IntegrityError, OperationalError

from keystone_api.sync.errors import (
    BadPayload,
    CloudUnavailable,
    EdgeObjectError,
    ReceiverRejected,
    UnexpectedError,
    classify,
)
from keystone_api.sync.job import _check_encodable


def _client_error(status: int, code: str) -> ClientError:
    answer = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(answer, "PutObject")  # type: ignore[arg-type]


TRANSIENT = [
    ConnectionResetError("connection reset by peer"),
    TimeoutError("timed out"),
    EndpointConnectionError(endpoint_url="http://cloud:9000"),
    ReadTimeoutError(endpoint_url="http://cloud:9000"),
    _client_error(503, "SlowDown"),
    _client_error(403, "AccessDenied"),  # the link's configuration: keep the order
    httpx.ConnectError("refused"),
    OperationalError("SELECT 1", {}, Exception("Lost connection to server")),
    RuntimeError("cannot schedule new futures after interpreter shutdown"),
]
PERMANENT = [
    ValueError("Out of range float values are not JSON compliant: nan"),
    TypeError("Object of type bytes is not JSON serializable"),
    KeyError("checksum"),
    IntegrityError("INSERT", {}, Exception("duplicate")),
    EdgeObjectError("edge sidecar is refused"),
    ReceiverRejected("receiver answered 422 payload_changed", 422, "payload_changed"),
]


@pytest.mark.parametrize("exc", TRANSIENT, ids=lambda e: type(e).__name__)
def test_infrastructure_errors_are_transient(exc: Exception) -> None:
    error = classify(exc)
    assert not error.permanent
    assert type(exc).__name__ in str(error)


@pytest.mark.parametrize("exc", PERMANENT, ids=lambda e: type(e).__name__)
def test_bad_data_and_bugs_are_permanent_never_an_outage(exc: Exception) -> None:
    error = classify(exc)
    assert error.permanent and not isinstance(error, CloudUnavailable)
    if not isinstance(exc, EdgeObjectError | ReceiverRejected):
        assert isinstance(error, UnexpectedError) and "not a cloud outage" in str(error)


def test_a_payload_json_cannot_encode_is_refused_before_it_is_sent() -> None:
    with pytest.raises(BadPayload, match="cannot be encoded"):
        _check_encodable({"sidecar": {"duration_sec": float("nan")}})
    with pytest.raises(BadPayload):
        _check_encodable({"sidecar": {"raw": b"\x00"}})
    _check_encodable({"sidecar": json.loads('{"a": 1.5}')})
