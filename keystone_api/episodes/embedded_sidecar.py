"""The sidecar of an MCAP-only upload, rebuilt from the recording's own metadata records.

The Axon upload daemon's `upload_mode: "mcap_only"` (`require_json_sidecar: false`)
uploads the MCAP alone. The recorder wrote the sidecar's facts into the file as metadata
records (axon-protocol.md sections 6-7): `axon.sidecar`, `axon.task`, `axon.device`,
`axon.recording`, `axon.topics`, every value a string, lists as compact JSON,
`file_size_bytes` zero-padded to 20 digits. They are read from the summary (the MCAP
reader's tier 1: the head, the tail and the metadata records it indexes, well under a
megabyte of ranged reads for a multi-gigabyte file), put back into the sidecar's shape
(section 5) with their types, and held to the same rules as an uploaded sidecar: a file
without them, or with a value that is not what it should be, is refused with the reason.
"""

from __future__ import annotations

import math
from typing import Any

from botocore.client import BaseClient

from keystone_api.episodes.sidecar import SidecarInvalid, loads_strict

REQUIRED = ("axon.task", "axon.recording")
INTEGERS = ("file_size_bytes", "message_count")
LISTS = {"axon.task": ("skills",), "axon.recording": ("topics_recorded",)}


class EmbeddedSidecarMissing(ValueError):
    """The MCAP cannot stand for its sidecar; the message says why."""


def embedded_sidecar(client: BaseClient, bucket: str, key: str) -> dict[str, Any]:
    """The sidecar document the recorder would have uploaded, from the MCAP at `key`."""
    from keystone_pipelines.validator.reader.summary import read_summary
    from keystone_pipelines.validator.sources import S3Source

    info = read_summary(S3Source(client, bucket, key))
    return from_metadata(info.metadata)


def from_metadata(metadata: dict[str, dict[str, str]]) -> dict[str, Any]:
    missing = [name for name in REQUIRED if name not in metadata]
    if missing:
        raise EmbeddedSidecarMissing(
            f"the MCAP has no {', '.join(missing)} metadata record: an MCAP-only upload needs "
            "the recorder's axon.* records to stand for its sidecar"
        )
    try:
        return _document(metadata)
    except SidecarInvalid as exc:
        raise EmbeddedSidecarMissing(f"the MCAP's axon.* metadata is refused: {exc}") from None


def _document(metadata: dict[str, dict[str, str]]) -> dict[str, Any]:
    head = metadata.get("axon.sidecar", {})
    task = _typed("axon.task", metadata["axon.task"])
    recording = _typed("axon.recording", metadata["axon.recording"])
    doc: dict[str, Any] = {
        "version": head.get("version", "1.0"),
        "mcap_file": head.get("mcap_file", ""),
        "task": task,
        "device": dict(metadata.get("axon.device", {})),
        "recording": recording,
    }
    topics = metadata.get("axon.topics", {}).get("topics_summary")
    if topics is not None:
        summary = loads_strict(topics)
        if not isinstance(summary, list) or not all(isinstance(t, dict) for t in summary):
            raise SidecarInvalid("axon.topics.topics_summary is not a list of objects")
        doc["topics_summary"] = summary
    return doc


def _typed(record: str, values: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(values)
    for name in LISTS.get(record, ()):
        if name in out:
            out[name] = _string_list(f"{record}.{name}", out[name])
    if record != "axon.recording":
        return out
    for name in INTEGERS:
        if name in out:
            text = out[name].strip()
            if not text.isdigit() or len(text) > 20:
                raise SidecarInvalid(f"{record}.{name} is not a count: {text[:40]!r}")
            out[name] = int(text)
    if "duration_sec" in out:
        out["duration_sec"] = _seconds(f"{record}.duration_sec", out["duration_sec"])
    return out


def _string_list(name: str, text: str) -> list[str]:
    value = loads_strict(text)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SidecarInvalid(f"{name} is not a JSON list of strings")
    return value


def _seconds(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SidecarInvalid(f"{name} is not a number: {text[:40]!r}") from None
    if not math.isfinite(value) or value < 0:
        raise SidecarInvalid(f"{name} is out of range: {text[:40]!r}")
    return value
