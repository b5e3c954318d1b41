"""`validate()`: run the tiers a recording needs, then the checks and the score."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from keystone_pipelines.validator.checks.content import (
    duration_check,
    gaps_check,
    required_topics_check,
)
from keystone_pipelines.validator.checks.images import FrameSample, image_check
from keystone_pipelines.validator.checks.integrity import IntegrityInputs, integrity_check
from keystone_pipelines.validator.checks.joints import (
    JOINT_SCHEMAS,
    JointSample,
    JointSampler,
    joint_check,
    stamp_backsteps,
)
from keystone_pipelines.validator.checks.rates import rates_check, timestamps_check, written_times
from keystone_pipelines.validator.checks.sample import FrameSampler, image_channels
from keystone_pipelines.validator.checks.schemas import note_empty_schemas
from keystone_pipelines.validator.checks.structure import structure_check
from keystone_pipelines.validator.checks.truncation import lost_tail
from keystone_pipelines.validator.checks.unassessed import apply_budget, not_assessed
from keystone_pipelines.validator.reader.budget import MAX_INFLATION, DecompressionBudget
from keystone_pipelines.validator.reader.chunks import DEFAULT_MAX_CHUNK
from keystone_pipelines.validator.reader.indexes import read_message_indexes
from keystone_pipelines.validator.reader.model import FileInfo, MessageMap
from keystone_pipelines.validator.reader.stream import StreamResult, stream_pass
from keystone_pipelines.validator.reader.summary import read_summary
from keystone_pipelines.validator.reader.timeline import time_span, topic_stats
from keystone_pipelines.validator.result import ValidationResult
from keystone_pipelines.validator.score import FORMULA_VERSION, overall_score, passes
from keystone_pipelines.validator.sources import (
    Source,
    SourceError,
    normalize_sha256,
    open_source,
)
from keystone_pipelines.validator.spec import QaSpec

Integrity = bool | Literal["auto"]


def validate(
    target: str | os.PathLike[str] | Source,
    spec: QaSpec | None = None,
    *,
    expected_sha256: str | None = None,
    stored_sha256: str | None = None,
    sidecar: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    integrity: Integrity = True,
    s3_client: Any = None,
    max_chunk_bytes: int = DEFAULT_MAX_CHUNK,
    thumbnails: int = 0,
    max_inflation: float = MAX_INFLATION,
) -> ValidationResult:
    """Validate one recording: a local path, an s3://bucket/key URL (read with
    `s3_client`, a boto3 S3 client) or an open Source.

    expected_sha256: the robot's SHA-256 (finish callback, --sha256); when None, the
        sidecar's recording.checksum_sha256 is used if there is one.
    stored_sha256: the checksum the object store verified on upload (hex or S3 base64,
        e.g. HEAD's ChecksumSHA256); comparing it with the expected one costs no bytes.
    integrity: True runs tier 4 (one streaming read: SHA-256 + every chunk CRC); False
        skips it; "auto" runs it only when an expected SHA-256 has no stored one to
        compare with.
    thumbnails: keep that many small decoded frames per camera topic, spread over the
        recording, in `result.frames` (the inspector's contact sheet); 0 keeps none.
    max_inflation: the chunks of one validation decompress to at most this many times
        the file's size (at least 64 MiB); checks that needed more answer "not assessed".
    Raises SourceError when the object cannot be opened or read (missing, I/O or network
    failure: worth a retry); any content, however broken, yields a result.
    """
    spec = spec or QaSpec()
    doc = _load_sidecar(sidecar)
    if expected_sha256 is None and isinstance(doc, Mapping):
        rec = doc.get("recording")
        if isinstance(rec, Mapping) and isinstance(rec.get("checksum_sha256"), str):
            expected_sha256 = rec["checksum_sha256"]
    own = not isinstance(target, Source)
    src = open_source(target, s3_client) if not isinstance(target, Source) else target
    try:
        budget = DecompressionBudget(src.size, max_inflation)
        return _run(
            src,
            spec,
            expected_sha256,
            stored_sha256,
            doc,
            integrity,
            max_chunk_bytes,
            thumbnails,
            budget,
        )
    finally:
        if own:
            src.close()


def validate_s3_object(
    client: Any,
    bucket: str,
    key: str,
    spec: QaSpec | None = None,
    *,
    expected_sha256: str | None = None,
    sidecar: Mapping[str, Any] | None = None,
    integrity: Integrity = "auto",
) -> ValidationResult:
    """The QA pipeline's call: tiers 1-3 with ranged GETs, and integrity from the upload.

    The object's stored checksum (HEAD, ChecksumMode=ENABLED) is compared with the robot's
    `expected_sha256`, which reads zero bytes; only when the upload carried no checksum
    ("auto") does tier 4 stream the object once. Raises SourceError if the object is gone.
    """
    from keystone_pipelines.validator.sources import S3Source

    src = S3Source(client, bucket, key)
    try:
        return validate(
            src,
            spec,
            expected_sha256=expected_sha256,
            stored_sha256=src.stored_sha256,
            sidecar=sidecar,
            integrity=integrity,
        )
    finally:
        src.close()


def _load_sidecar(sidecar: Mapping[str, Any] | str | os.PathLike[str] | None) -> Any:
    if sidecar is None or isinstance(sidecar, Mapping):
        return sidecar
    try:
        return json.loads(Path(sidecar).read_text())
    except (OSError, ValueError) as exc:
        return {"_error": f"sidecar unreadable: {exc}"}


def _run(
    src: Source,
    spec: QaSpec,
    expected: str | None,
    stored: str | None,
    sidecar: Any,
    integrity: Integrity,
    max_chunk: int,
    thumbnails: int,
    budget: DecompressionBudget,
) -> ValidationResult:
    started = time.perf_counter()
    tiers: list[str] = []
    by_tier: dict[str, int] = {}
    info = FileInfo(size=src.size)
    mm: MessageMap | None = None
    stream: StreamResult | None = None
    sample: FrameSample | None = None
    joints: JointSample | None = None
    start_bytes = src.bytes_read
    try:
        info = read_summary(src)
        tiers.append("summary")
        by_tier["summary"] = src.bytes_read - start_bytes
        if info.readable and info.summary_usable:
            mark = src.bytes_read
            mm = read_message_indexes(src, info)
            if mm is not None:
                tiers.append("message_indexes")
                by_tier["message_indexes"] = src.bytes_read - mark
        have_expected = normalize_sha256(expected) is not None
        run4 = info.readable and (
            integrity is True
            or (integrity == "auto" and have_expected and normalize_sha256(stored) is None)
        )
        if mm is None and info.readable:
            mark = src.bytes_read
            stream = stream_pass(
                src, info, hash_file=run4, collect=True, max_chunk=max_chunk, budget=budget
            )
            mm = stream.messages
            tiers += ["linear_scan", "integrity"] if run4 else ["linear_scan"]
            by_tier["linear_scan"] = src.bytes_read - mark
        sampler = None
        if mm is not None and spec.image_sample > 0 and image_channels(info, spec):
            sampler = FrameSampler(info, mm, spec, max_chunk, thumbnails, budget)
        joint_sampler = None
        if mm is not None and spec.joint_sample > 0 and _has_joints(info):
            preferred = sampler.wanted if sampler else set()
            joint_sampler = JointSampler(info, mm, spec, max_chunk, budget, preferred)
            if sampler is not None:
                sampler.listeners.append(joint_sampler.on_records)
        # The sample (tier 3): frames and joint states, from the same chunks where it can.
        on_records = sampler.on_records if sampler else None
        if on_records is None and joint_sampler is not None:
            on_records = joint_sampler.on_records
        wanted = (sampler.wanted if sampler else set()) | (
            joint_sampler.wanted if joint_sampler else set()
        )
        if run4 and stream is None:
            # Tier 3 rides on tier 4's stream: the sampled chunks are decoded as they pass.
            stream = stream_pass(
                src,
                info,
                hash_file=True,
                collect=False,
                max_chunk=max_chunk,
                on_records=on_records,
                wanted=frozenset(wanted),
                budget=budget,
            )
            tiers.append("integrity")
            by_tier["integrity"] = src.size
        if sampler is not None or joint_sampler is not None:
            sample = sampler.finish(src) if sampler else None
            joints = joint_sampler.finish(src) if joint_sampler else None
            tiers.insert(
                tiers.index("integrity") if "integrity" in tiers else len(tiers), "frame_sample"
            )
            by_tier["frame_sample"] = (sample.bytes_read if sample else 0) + (
                joints.bytes_read if joints else 0
            )
    except SourceError:
        raise  # the store or disk failed mid-read: not a verdict on the file, retry later
    except Exception as exc:  # noqa: BLE001 - a bug must cost one file a verdict, not the batch
        info.add("error", "INTERNAL_ERROR", f"validator error: {type(exc).__name__}: {exc}")
    if budget.exceeded:
        info.add("warning", "DECOMPRESSION_BUDGET", budget.reason())
    note_empty_schemas(info)
    result = _verdict(
        src,
        spec,
        info,
        mm,
        stream,
        (sample, joints),
        tiers,
        by_tier,
        expected,
        stored,
        sidecar,
        budget,
    )
    result.bytes_read = src.bytes_read - start_bytes
    result.elapsed_s = time.perf_counter() - started
    result.frames = sample.frames if sample is not None else {}
    return result


def _has_joints(info: FileInfo) -> bool:
    return any(info.schema_name(cid) in JOINT_SCHEMAS for cid in info.channels)


def _verdict(
    src: Source,
    spec: QaSpec,
    info: FileInfo,
    mm: MessageMap | None,
    stream: StreamResult | None,
    samples: tuple[FrameSample | None, JointSample | None],
    tiers: list[str],
    by_tier: dict[str, int],
    expected: str | None,
    stored: str | None,
    sidecar: Any,
    budget: DecompressionBudget,
) -> ValidationResult:
    sample, joints = samples
    stats = topic_stats(info, mm)
    readable = info.readable and mm is not None
    partial = mm is not None and not mm.complete
    count = sum(s.count for s in stats.values()) if mm is not None else 0
    span = time_span(stats)
    inputs = IntegrityInputs(
        expected_sha256=expected,
        stored_sha256=stored,
        sidecar=sidecar,
        file_size=src.size,
        message_count=count if readable else None,
        topics={ch.topic for ch in info.channels.values()},
        data_crc_declared=info.data_crc,
    )
    times = written_times(info, mm) if readable and mm is not None else None
    checks = [
        structure_check(info, mm),
        required_topics_check(spec, stats, readable),
        duration_check(spec, stats, readable),
        gaps_check(spec, stats, readable, partial),
        rates_check(spec, times, span),
        timestamps_check(times, stamp_backsteps(joints)),
        image_check(spec, sample, readable),
        joint_check(spec, joints, readable),
        integrity_check(inputs, stream),
    ]
    seen = {t for t, s in stats.items() if s.count}
    tail = lost_tail(info, mm, sidecar, span, seen)
    if tail is not None:
        checks[0].data["lost_tail"] = tail  # for the evidence timeline and contact sheet
    checks = apply_budget(checks, budget, mm, stream, sample)
    if joints is not None and joints.chunks_refused:
        checks = [
            not_assessed(c, budget.reason()) if c.name == "joint_states" else c for c in checks
        ]
    score = overall_score(checks, spec.weights, spec.critical_checks)
    return ValidationResult(
        path=src.name,
        passed=passes(score),
        score=score,
        checks=checks,
        tiers=tiers,
        bytes_read=0,
        file_size=src.size,
        formula_version=FORMULA_VERSION,
        bytes_by_tier=by_tier,
        message_count=count,
        start_ns=span[0] if span else None,
        end_ns=span[1] if span else None,
        topics={t: s.to_dict() for t, s in sorted(stats.items())},
        axon={k: v for k, v in info.metadata.items() if k.startswith("axon.")},
        sha256=stream.sha256 if stream else None,
        findings=[f.to_dict() for f in info.findings],
    )
