"""Materialization metadata of an hour: counts, rates and a small table of flagged episodes
with links. Kept small (check evaluations live in a 64 KB TEXT column on MariaDB)."""

from __future__ import annotations

from typing import Any

import dagster as dg

from keystone_pipelines.qa.summary import HourSummary
from keystone_pipelines.resources import KeystoneResource


def landed_metadata(s: HourSummary) -> dict[str, Any]:
    """landed_recordings' metadata: what landed in the hour, and by which path."""
    return {
        "hour": dg.MetadataValue.text(s.start.strftime("%Y-%m-%d %H:00 UTC")),
        # An empty hour is materialized too (by the landing sensor): "Missing" in the UI
        # means not processed yet, never "nothing landed".
        "empty": s.landed == 0,
        "episodes_landed": s.landed,
        "bytes_landed": s.bytes_landed,
        **{f"registered_by_{k}": v for k, v in sorted(s.by_source.items())},
    }


def hour_metadata(s: HourSummary, keystone: KeystoneResource) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "hour": dg.MetadataValue.text(s.start.strftime("%Y-%m-%d %H:00 UTC")),
        "empty": s.landed == 0,
        "episodes_landed": s.landed,
        "episodes_assessed": s.assessed,
        "passed": s.qa_passed,
        "auto_approved": s.auto_approved,
        "awaiting_inspection": s.awaiting_inspection,
        "rejected": s.rejected,
        "inspector_approved": s.by_status.get("inspector_approved", 0),
        "pending_qa": s.by_status.get("pending_qa", 0),
        "pass_rate": dg.MetadataValue.float(round(s.pass_rate, 4))
        if s.pass_rate is not None
        else dg.MetadataValue.text("n/a"),
        "bytes_landed": s.bytes_landed,
    }
    if s.flagged:
        meta["flagged"] = dg.MetadataValue.md(flagged_table(s, keystone))
    base = keystone.public_base_url.rstrip("/")
    meta["inspection_queue"] = dg.MetadataValue.url(f"{base}/dashboard/inspection")
    return meta


def flagged_table(s: HourSummary, keystone: KeystoneResource) -> str:
    lines = ["| episode | status | score | failing checks |", "|---|---|---|---|"]
    for row in s.flagged:
        eid = str(row["episode_id"])
        score = row["score"]
        score_text = f"{score:.2f}" if isinstance(score, float) else "-"
        failing = ", ".join(row["failing"]) or "-"  # type: ignore[arg-type]
        lines.append(
            f"| [{eid}]({keystone.episode_link(eid)}) | {row['status']} | {score_text} "
            f"| {failing} |"
        )
    more = s.awaiting_inspection + s.rejected - len(s.flagged)
    if more > 0:
        lines.append(f"\n…and {more} more in the inspection queue.")
    return "\n".join(lines)
