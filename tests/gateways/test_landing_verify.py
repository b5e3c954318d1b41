"""The landing verification that comes before every ACK, on the real SeaweedFS: sidecars
parsed strictly, and a recording's SHA-256 established from the stored bytes when the
upload carried no checksum metadata (issue 15, #8)."""

from __future__ import annotations

import base64
import collections
import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from keystone_api.episodes.sidecar import SidecarInvalid, parse_sidecar
from keystone_api.episodes.verify import VerificationFailed, verify_pair
from keystone_api.storage.layout import RecordingKey, axon_keys
from keystone_api.storage.s3 import ensure_bucket
from tests.support.objects import sidecar_for

BUCKET = "landing-verify"
MIB = 1024 * 1024


@pytest.fixture
def store(s3: Any) -> Iterator[tuple[Any, collections.Counter[str]]]:
    """The admin client and a count of the S3 calls it makes."""
    ensure_bucket(s3, BUCKET)
    calls: collections.Counter[str] = collections.Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    s3.meta.events.register("before-call.s3", count)
    yield s3, calls
    s3.meta.events.unregister("before-call.s3", count)


def _key() -> RecordingKey:
    return axon_keys("f-verify", "dev-1", "2026-12-05", str(uuid.uuid4()))


Edit = Callable[[dict[str, Any]], dict[str, Any] | bytes]


def _land(
    s3: Any, data: bytes, *, meta: bool = False, store_sha: bool = False, edit: Edit | None = None
) -> RecordingKey:
    """An MCAP (with or without the checksum metadata, with or without the store keeping
    its SHA-256) and its sidecar: the recorder's, naming the true checksum, or `edit`ed."""
    key = _key()
    extra: dict[str, Any] = {}
    if meta:
        extra["Metadata"] = {"checksum-sha256": hashlib.sha256(data).hexdigest()}
    if store_sha:
        extra["ChecksumSHA256"] = base64.b64encode(hashlib.sha256(data).digest()).decode()
    s3.put_object(Bucket=BUCKET, Key=key.mcap_key, Body=data, **extra)
    doc: dict[str, Any] | bytes = sidecar_for(key.task_id, data)
    if edit is not None:
        doc = edit(doc)  # type: ignore[arg-type]
    raw = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    s3.put_object(Bucket=BUCKET, Key=key.sidecar_key, Body=raw)
    return key


def _without_checksum(doc: dict[str, Any]) -> dict[str, Any]:
    del doc["recording"]["checksum_sha256"]
    return doc


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b'{"recording": {"duration_sec": NaN}}', "NaN"),
        (b'{"recording": {"duration_sec": Infinity}}', "Infinity"),
        (b'{"recording": {"duration_sec": -Infinity}}', "-Infinity"),
        (b'{"recording": {"duration_sec": 1e999}}', "out of range"),
        (b'{"task": {"task_id": "a"}, "task": {"task_id": "b"}}', "appears twice"),
        (b'{"a": [' * 50_000 + b"]}" * 50_000, "nested too deeply"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2]", "not a JSON object"),
    ],
    ids=["nan", "inf", "-inf", "overflow", "duplicate-key", "deep", "utf-16", "array"],
)
def test_sidecars_are_parsed_strictly(raw: bytes, why: str) -> None:
    with pytest.raises(SidecarInvalid, match=why):
        parse_sidecar(raw)


def test_a_non_strict_sidecar_is_refused_with_its_reason(store: Any) -> None:
    s3, _ = store
    data = os.urandom(4096)
    key = _land(
        s3, data, meta=True, edit=lambda doc: json.dumps(doc).replace("30.0", "NaN").encode()
    )
    with pytest.raises(VerificationFailed, match="NaN") as refused:
        verify_pair(s3, BUCKET, key)
    assert refused.value.reason == "bad_sidecar"


def test_without_metadata_the_stored_bytes_are_read_once_and_compared(store: Any) -> None:
    s3, calls = store
    data = os.urandom(9 * MIB + 5)  # two ranged reads
    key = _land(s3, data)
    calls.clear()
    landed = verify_pair(s3, BUCKET, key)
    assert landed.checksum_sha256 == hashlib.sha256(data).hexdigest()
    assert calls["GetObject"] == 1 + 2  # the sidecar, then the MCAP in 8 MiB ranges
    calls.clear()
    assert verify_pair(s3, BUCKET, key).checksum_sha256 == landed.checksum_sha256
    assert calls["GetObject"] == 1  # verified again (a robot repeating itself): not re-read
    # The landing sensor never reads a recording: it leaves it to the gateway.
    with pytest.raises(VerificationFailed) as deferred:
        verify_pair(s3, BUCKET, _land(s3, data), read=False)
    assert deferred.value.reason == "needs_read"


def test_the_stores_own_sha256_is_used_without_reading(store: Any) -> None:
    s3, calls = store
    data = os.urandom(64 * 1024)
    key = _land(s3, data, store_sha=True)
    calls.clear()
    landed = verify_pair(s3, BUCKET, key, read=False)
    assert landed.checksum_sha256 == hashlib.sha256(data).hexdigest()
    assert calls["GetObject"] == 1  # the sidecar only
    # The checksum header the store checked is itself the uploader's statement.
    alone = _land(s3, data, store_sha=True, edit=_without_checksum)
    assert verify_pair(s3, BUCKET, alone).checksum_sha256 == landed.checksum_sha256
    # Metadata that contradicts the store's checksum is not believed.
    s3.copy_object(
        Bucket=BUCKET,
        Key=alone.mcap_key,
        CopySource={"Bucket": BUCKET, "Key": alone.mcap_key},
        Metadata={"checksum-sha256": "0" * 64},
        MetadataDirective="REPLACE",
        ChecksumAlgorithm="SHA256",
    )
    with pytest.raises(VerificationFailed, match="object metadata") as refused:
        verify_pair(s3, BUCKET, alone)
    assert refused.value.reason == "checksum_mismatch"


def test_stored_bytes_that_contradict_a_claim_are_refused(store: Any) -> None:
    s3, _ = store
    data = os.urandom(4096)
    other = hashlib.sha256(data[:-1] + b"\x00").hexdigest()  # what was meant to arrive

    def claim_other(doc: dict[str, Any]) -> dict[str, Any]:
        doc["recording"]["checksum_sha256"] = other
        return doc

    key = _land(s3, data, edit=claim_other)
    with pytest.raises(VerificationFailed, match="stored bytes") as refused:
        verify_pair(s3, BUCKET, key)
    assert refused.value.reason == "checksum_mismatch"
    robot = hashlib.sha256(b"what the robot hashed").hexdigest()
    with pytest.raises(VerificationFailed, match="robot's") as contradicted:
        verify_pair(s3, BUCKET, _land(s3, data), expected_sha256=robot)
    assert contradicted.value.reason == "checksum_mismatch"


def test_when_nothing_states_a_checksum_the_pair_is_refused(store: Any) -> None:
    s3, calls = store
    data = os.urandom(4096)
    key = _land(s3, data, edit=_without_checksum)
    calls.clear()
    with pytest.raises(VerificationFailed, match="cannot be verified") as refused:
        verify_pair(s3, BUCKET, key)
    assert refused.value.reason == "no_checksum"
    assert calls["GetObject"] == 1  # nothing to compare with: not even read
    # The robot's report alone is enough to compare with.
    robot = hashlib.sha256(data).hexdigest()
    assert verify_pair(s3, BUCKET, key, expected_sha256=robot).checksum_sha256 == robot
