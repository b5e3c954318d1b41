"""S3 sources against a real S3 server (SeaweedFS): tiers 1-3 read a small fraction of the
object with ranged GETs; tier 4 streams it once; a stored checksum replaces tier 4."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest

from keystone_api.storage.s3 import ensure_bucket
from keystone_pipelines.validator import QaSpec, S3Source, SourceError, validate
from keystone_sim.recording import RecordingFacts

BUCKET = "qa-validator"


@pytest.fixture(scope="module")
def s3(s3_server):  # type: ignore[no-untyped-def]
    """One client for the module (the shared `s3` fixture is per test)."""
    from keystone_api.storage.s3 import make_s3_client

    return make_s3_client(s3_server.endpoint_url, s3_server.access_key, s3_server.secret_key)


@pytest.fixture(scope="module")
def uploaded(s3, make_recording: Callable[..., RecordingFacts]):  # type: ignore[no-untyped-def]
    """A recording with 64 KiB chunks (many chunks, like a real file's proportions),
    uploaded with its SHA-256 checksum, plus a truncated copy."""
    facts = make_recording("s3-64k", chunk_size=64 * 1024)
    data = Path(facts.path).read_bytes()
    ensure_bucket(s3, BUCKET)
    b64 = base64.b64encode(bytes.fromhex(facts.sha256)).decode()
    s3.put_object(
        Bucket=BUCKET,
        Key="f1/r1/task.mcap",
        Body=data,
        ChecksumAlgorithm="SHA256",
        ChecksumSHA256=b64,
    )
    s3.put_object(Bucket=BUCKET, Key="f1/r1/cut.mcap", Body=data[: len(data) * 2 // 3])
    return facts


URL = f"s3://{BUCKET}/f1/r1/task.mcap"


def test_tiers_1_2_read_a_small_fraction(s3, uploaded: RecordingFacts, qa_spec: QaSpec) -> None:  # type: ignore[no-untyped-def]
    r = validate(
        URL, qa_spec.merge({"image_sample": 0, "joint_sample": 0}), integrity=False, s3_client=s3
    )
    assert r.tiers == ["summary", "message_indexes"]
    assert r.passed and r.message_count == uploaded.message_count
    assert r.bytes_read < 0.05 * uploaded.size, (r.bytes_read, uploaded.size)
    local = validate(
        uploaded.path, qa_spec.merge({"image_sample": 0, "joint_sample": 0}), integrity=False
    )
    assert r.topics == local.topics


def test_tiers_1_3_sample_frames_without_downloading_the_object(
    s3,
    uploaded: RecordingFacts,
    qa_spec: QaSpec,  # type: ignore[no-untyped-def]
) -> None:
    r = validate(URL, qa_spec.merge({"image_sample": 30}), integrity=False, s3_client=s3)
    assert r.tiers == ["summary", "message_indexes", "frame_sample"]
    image = r.check("image_integrity")
    assert image.passed and image.data["sampled"] >= 27 and len(image.data["per_topic"]) == 3
    assert r.bytes_read < 0.25 * uploaded.size, (r.bytes_read, uploaded.size)


def test_integrity_pass_streams_the_object_once(
    s3, uploaded: RecordingFacts, qa_spec: QaSpec
) -> None:  # type: ignore[no-untyped-def]
    r = validate(URL, qa_spec, expected_sha256=uploaded.sha256, s3_client=s3)
    assert r.passed and r.sha256 == uploaded.sha256
    assert r.tiers[-1] == "integrity"
    # the frame sample rode on the stream: one full read plus tiers 1-2
    assert uploaded.size <= r.bytes_read < 1.05 * uploaded.size


def test_stored_checksum_costs_no_read(s3, uploaded: RecordingFacts, qa_spec: QaSpec) -> None:  # type: ignore[no-untyped-def]
    src = S3Source(s3, BUCKET, "f1/r1/task.mcap")
    assert src.size == uploaded.size
    assert src.stored_sha256 == uploaded.sha256  # from HEAD, ChecksumMode=ENABLED
    spec = qa_spec.merge({"image_sample": 0, "joint_sample": 0})
    ok = validate(
        src,
        spec,
        expected_sha256=uploaded.sha256,
        stored_sha256=src.stored_sha256,
        integrity="auto",
    )
    assert ok.passed and "integrity" not in ok.tiers
    assert "stored checksum matches" in ok.check("integrity").detail
    assert ok.bytes_read < 0.05 * uploaded.size
    bad = validate(
        src, spec, expected_sha256="ab" * 32, stored_sha256=src.stored_sha256, integrity="auto"
    )
    assert not bad.passed and not bad.check("integrity").passed


def test_validate_s3_object_for_the_pipeline(s3, uploaded: RecordingFacts, qa_spec: QaSpec) -> None:  # type: ignore[no-untyped-def]
    from keystone_pipelines.validator import validate_s3_object

    r = validate_s3_object(s3, BUCKET, "f1/r1/task.mcap", qa_spec, expected_sha256=uploaded.sha256)
    assert r.passed and "integrity" not in r.tiers and "frame_sample" in r.tiers
    assert r.bytes_read < 0.25 * uploaded.size
    # no checksum stored with the upload: "auto" streams it once to verify
    s3.put_object(Bucket=BUCKET, Key="f1/r1/plain.mcap", Body=Path(uploaded.path).read_bytes())
    plain = validate_s3_object(
        s3, BUCKET, "f1/r1/plain.mcap", qa_spec, expected_sha256=uploaded.sha256
    )
    assert plain.passed and plain.tiers[-1] == "integrity" and plain.sha256 == uploaded.sha256


def test_truncated_object(s3, uploaded: RecordingFacts) -> None:  # type: ignore[no-untyped-def]
    r = validate(f"s3://{BUCKET}/f1/r1/cut.mcap", integrity=False, s3_client=s3)
    assert not r.passed
    assert "truncated" in r.check("structure").detail
    assert "linear_scan" in r.tiers


def test_missing_object_cannot_be_assessed(s3, uploaded: RecordingFacts) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SourceError) as info:
        validate(f"s3://{BUCKET}/f1/r1/nope.mcap", s3_client=s3)
    assert info.value.not_found
    with pytest.raises(SourceError):
        validate("s3://no-such-bucket-x/k.mcap", s3_client=s3)
