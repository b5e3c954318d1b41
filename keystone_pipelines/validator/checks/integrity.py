"""The `integrity` check: the file's SHA-256 against the robot's, chunk CRCs, and the file
against its sidecar JSON (size, message count, topics, checksum).

Two ways to know the SHA-256: tier 4 computes it in one streaming pass, or (in the
pipeline) the object store kept the checksum it verified on upload, and comparing that
with the robot's costs zero bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from keystone_pipelines.validator.reader.stream import StreamResult
from keystone_pipelines.validator.result import CheckResult
from keystone_pipelines.validator.score import make_check
from keystone_pipelines.validator.sources import normalize_sha256


@dataclass
class IntegrityInputs:
    expected_sha256: str | None = None  # the robot's (callback, CLI --sha256)
    stored_sha256: str | None = None  # what the object store verified on upload
    sidecar: Mapping[str, Any] | None = None
    file_size: int = 0
    message_count: int | None = None  # None: unknown (file unreadable)
    topics: set[str] = field(default_factory=set)
    data_crc_declared: int | None = None


def integrity_check(inp: IntegrityInputs, stream: StreamResult | None) -> CheckResult:
    problems: list[str] = []
    notes: list[str] = []
    expected = normalize_sha256(inp.expected_sha256)
    if inp.expected_sha256 and expected is None:
        problems.append(f"expected SHA-256 {inp.expected_sha256!r} is not a SHA-256")
    stored = normalize_sha256(inp.stored_sha256)
    actual = stream.sha256 if stream else None
    data: dict[str, Any] = {"sha256": actual, "expected_sha256": expected, "stored_sha256": stored}
    if actual:
        for label, value in (("expected", expected), ("stored", stored)):
            if value and value != actual:
                problems.append(f"SHA-256 mismatch: file {actual[:16]}..., {label} {value[:16]}...")
        notes.append("SHA-256 matches" if expected or stored else f"SHA-256 {actual[:16]}...")
    elif expected and stored:
        if expected != stored:
            problems.append(f"stored checksum {stored[:16]}... differs from the robot's")
        else:
            notes.append("stored checksum matches the robot's (0 bytes read)")
    else:
        notes.append("SHA-256 not verified (integrity pass skipped, nothing to compare)")
    if stream is not None:
        problems.extend(stream.crc_errors[:3])
        if len(stream.crc_errors) > 3:
            problems.append(f"(+{len(stream.crc_errors) - 3} more chunk errors)")
        data["chunk_crcs_verified"] = stream.chunks_crc_checked
        notes.append(f"{stream.chunks_crc_checked}/{stream.chunks} chunk CRCs verified")
        if stream.data_crc_ok is False:
            problems.append("data section CRC mismatch")
        elif stream.data_crc_ok:
            notes.append("data-section CRC matches")
    if inp.data_crc_declared == 0:
        notes.append("no data-section CRC (not written, as by Axon)")
    sidecar = _sidecar_problems(inp, actual or expected or stored) if inp.sidecar else []
    if inp.sidecar is not None and not sidecar:
        notes.append("agrees with its sidecar")
    if problems or sidecar:
        # Bytes that are not the robot's score 0; a file that only disagrees with its
        # sidecar (counts, topics) may still be sound and scores in between.
        score = 0.0 if problems else 0.5
        return make_check("integrity", False, score, "; ".join(problems + sidecar), **data)
    return make_check("integrity", True, 1.0, "; ".join(notes), **data)


def _sidecar_problems(inp: IntegrityInputs, sha: str | None) -> list[str]:
    doc = inp.sidecar
    if isinstance(doc, Mapping) and "_error" in doc:
        return [str(doc["_error"])]
    rec = doc.get("recording") if isinstance(doc, Mapping) else None
    if not isinstance(rec, Mapping):
        return ["sidecar has no 'recording' object"]
    out = []
    size = rec.get("file_size_bytes")
    if size is not None and size != inp.file_size:
        out.append(f"sidecar says {size} bytes, file has {inp.file_size}")
    count = rec.get("message_count")
    if count is not None and inp.message_count is not None and count != inp.message_count:
        out.append(f"sidecar says {count} messages, file has {inp.message_count}")
    listed = rec.get("topics_recorded")
    if isinstance(listed, list) and set(map(str, listed)) != inp.topics:
        only_sidecar = sorted(set(map(str, listed)) - inp.topics)
        only_file = sorted(inp.topics - set(map(str, listed)))
        out.append(f"topics differ from sidecar: missing {only_sidecar}, unlisted {only_file}")
    side_sha = normalize_sha256(rec.get("checksum_sha256"))
    if side_sha and sha and side_sha != sha:
        out.append(f"sidecar checksum {side_sha[:16]}... differs from the file's {sha[:16]}...")
    return out
