"""Faults an emulated robot can be told to have, for tests and the fleet simulator."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class Faults:
    # Recorder
    lost_callbacks: set[str] = field(default_factory=set)  # "start" / "finish": never arrive
    silent_actions: set[str] = field(default_factory=set)  # RPC actions left unanswered
    callback_jitter_s: float = 0.0  # random delay before a callback (reorders it vs. answers)
    recording_s: float | None = None  # recorded duration, whatever the wall clock says
    # The MCAP is cut to this share of its bytes before its sidecar is written (a writer
    # that died mid-file): it lands consistent with its sidecar and QA must flag it.
    truncate_recording: float | None = None
    # Transfer daemon
    bad_checksum: bool = False  # the MCAP's checksum metadata disagrees with its sidecar
    duplicate_complete: bool = False  # upload_complete sent twice
    omit_object_key: bool = False  # upload_complete without s3_key / object_key
    top_level_fields: bool = False  # fields at the top level instead of under "data"
    hold_uploads: asyncio.Event | None = None  # uploaded pairs wait for it before reporting
    ignore_upload_requests: int = 0  # this many upload_request frames are dropped
    fail_uploads: int = 0  # this many uploads fail (upload_failed) before one succeeds
