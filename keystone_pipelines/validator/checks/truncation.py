"""What a truncated recording lost, for the evidence pictures: where the readable part
ends, where the recording should have ended (the sidecar's recording_finished_at or
started_at + duration_sec) and which of the sidecar's topics have no message in the file.
Rides in the structure check's data as `lost_tail`; it moves no score (structure already
fails a truncated file)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from keystone_pipelines.validator.reader.model import FileInfo, MessageMap

TRUNCATION_CODES = frozenset({"TRUNCATED", "NO_CLOSING_MAGIC"})


def _ns(text: Any) -> int | None:
    if not isinstance(text, str):
        return None
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1e9)
    except ValueError:
        return None


def expected_end_ns(sidecar: Any, start_ns: int) -> int | None:
    """When the sidecar says the recording ended (None: no usable sidecar)."""
    rec = sidecar.get("recording") if isinstance(sidecar, Mapping) else None
    if not isinstance(rec, Mapping):
        return None
    finished, started = _ns(rec.get("recording_finished_at")), _ns(rec.get("recording_started_at"))
    if finished is not None and started is not None:
        return start_ns + (finished - started)  # the file's clock, the sidecar's length
    duration = rec.get("duration_sec")
    if isinstance(duration, int | float) and not isinstance(duration, bool) and duration >= 0:
        return start_ns + int(duration * 1e9)
    return None


def lost_tail(
    info: FileInfo,
    mm: MessageMap | None,
    sidecar: Any,
    span: tuple[int, int] | None,
    seen_topics: set[str],
) -> dict[str, Any] | None:
    truncated = (mm is not None and not mm.complete) or any(
        f.code in TRUNCATION_CODES for f in info.findings
    )
    if not truncated or span is None:
        return None
    end = expected_end_ns(sidecar, span[0])
    rec = sidecar.get("recording") if isinstance(sidecar, Mapping) else None
    recorded = rec.get("topics_recorded") if isinstance(rec, Mapping) else None
    absent = sorted(
        t for t in (recorded if isinstance(recorded, list) else []) if isinstance(t, str)
    )
    return {
        "last_ns": span[1],
        "expected_end_ns": end if end is not None and end > span[1] else None,
        "absent_topics": [t for t in absent if t not in seen_topics][:50],
    }
