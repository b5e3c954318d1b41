"""The `structure` check: magic, footer, summary, record framing, chunk CRCs where chunks
were read, index consistency. Its findings come from every tier that read something."""

from __future__ import annotations

from keystone_pipelines.validator.reader.model import FileInfo, MessageMap
from keystone_pipelines.validator.result import CheckResult
from keystone_pipelines.validator.score import make_check


def _join(messages: list[str], limit: int = 3) -> str:
    text = "; ".join(messages[:limit])
    return text + (f" (+{len(messages) - limit} more)" if len(messages) > limit else "")


def structure_check(info: FileInfo, mm: MessageMap | None) -> CheckResult:
    mine = [f for f in info.findings if f.check == "structure"]
    errors = [f.message for f in mine if f.severity == "error"]
    warnings = [f.message for f in mine if f.severity == "warning"]
    data = {
        "findings": [f.to_dict() for f in mine if f.severity != "info"][:20],
        "assessed_by": mm.method if mm else None,
    }
    if not info.readable:
        return make_check("structure", False, 0.0, _join(errors) or "unreadable", **data)
    if errors:
        # Something was readable (the other checks used it); a clean parse failure of an
        # otherwise readable file scores above one that yielded nothing.
        readable = mm is not None and (mm.chunks or mm.loose)
        return make_check("structure", False, 0.5 if readable else 0.2, _join(errors), **data)
    if warnings:
        return make_check("structure", True, 0.95, _join(warnings), **data)
    chunks = len(mm.chunks) if mm else 0
    compressions = sorted({c.compression or "none" for c in mm.chunks}) if mm else []
    detail = f"valid MCAP: {chunks} chunks"
    if compressions:
        detail += f" ({', '.join(compressions)})"
    if mm is not None and mm.method == "message_indexes":
        detail += ", summary and message indexes consistent"
    return make_check("structure", True, 1.0, detail, **data)
