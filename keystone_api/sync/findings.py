"""The QA findings an approved episode's delivery carries to the cloud (QaFinding in
cloud/schemas.py): what the edge's QA noted about the recording without failing it, such as
EMPTY_SCHEMA (no ROS 2 reader can decode it). Read back from the episode's QA result, where
the QA run keeps the validator's first findings, and cut to what the receiver accepts."""

from __future__ import annotations

from typing import Any

MAX_FINDINGS = 50
SEVERITIES = ("error", "warning", "info")


def delivered_findings(qa_result: dict[str, Any] | None) -> list[dict[str, str]]:
    found = (qa_result or {}).get("findings")
    out: list[dict[str, str]] = []
    for item in found if isinstance(found, list) else []:
        if not isinstance(item, dict) or item.get("severity") not in SEVERITIES:
            continue
        code = item.get("code")
        if not isinstance(code, str) or not code:
            continue
        out.append(
            {
                "severity": item["severity"],
                "code": code[:64],
                "message": str(item.get("message", ""))[:2000],
                "check": str(item.get("check", ""))[:64],
            }
        )
        if len(out) == MAX_FINDINGS:
            break
    return out
