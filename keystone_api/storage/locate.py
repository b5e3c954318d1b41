"""Find a task's recording in a bucket when only the task is known, in either layout.

The transfer daemon may report `upload_complete` without its object key; Axon's key holds
the UTC date the upload was queued, which the server does not know. Today's and
yesterday's keys are tried first (two HEADs); then the device's prefix is listed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from botocore.client import BaseClient

from keystone_api.storage.layout import RecordingKey, axon_keys, parse_key, spec_keys
from keystone_api.storage.s3 import head_or_none

MAX_LISTED_PAGES = 20  # 20,000 keys under one device prefix before giving up


def find_recording(
    client: BaseClient,
    bucket: str,
    task_id: str,
    *,
    factory_id: str | None = None,
    device_id: str | None = None,
    batch_id: str | None = None,
    now: datetime | None = None,
) -> RecordingKey | None:
    """The task's MCAP key (Axon layout under factory/device, or the spec layout)."""
    if factory_id and device_id:
        today = (now or datetime.now(UTC)).date()
        for day in (today, today - timedelta(days=1)):
            key = axon_keys(factory_id, device_id, day.isoformat(), task_id)
            if head_or_none(client, bucket, key.mcap_key) is not None:
                return key
        found = _listed(client, bucket, f"{factory_id}/{device_id}/", task_id)
        if found is not None:
            return found
    if batch_id:
        key = spec_keys(batch_id, task_id)
        if head_or_none(client, bucket, key.mcap_key) is not None:
            return key
    return None


def _listed(client: BaseClient, bucket: str, prefix: str, task_id: str) -> RecordingKey | None:
    suffix = f"/{task_id}.mcap"
    kwargs = {"Bucket": bucket, "Prefix": prefix}
    for _ in range(MAX_LISTED_PAGES):
        page = client.list_objects_v2(**kwargs)
        for obj in page.get("Contents", []):
            if obj["Key"].endswith(suffix):
                key = parse_key(obj["Key"])
                if key is not None and key.task_id == task_id:
                    return key
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            return None
        kwargs["ContinuationToken"] = token
    return None
