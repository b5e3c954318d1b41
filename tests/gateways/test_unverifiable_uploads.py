"""Uploads that must not be ACKed (the robot deletes its copy on ACK), through an emulated
Axon robot and the real transfer gateway: a sidecar that is not strict JSON, and a
recording that landed without checksum metadata (issue 15, #8). The refusal shows on the
task and the upload with its reason; a recording whose stored bytes prove the robot's
checksum is ACKed."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest

from keystone_api.settings import get_settings
from keystone_sim.axon import AxonRobot, Faults
from tests.gateways.harness import Site, count_episodes, upload_row
from tests.gateways.test_upload_faults import _recorded

pytestmark = pytest.mark.anyio


async def _uploaded_and_held(site: Site) -> tuple[AxonRobot, str, asyncio.Event, str]:
    """A recording in the store whose upload_complete the robot holds back: (robot, task
    id, the hold, the MCAP key)."""
    hold = asyncio.Event()
    robot, _, _, task_id = await _recorded(site, Faults(hold_uploads=hold))
    transfer = robot.transfer
    assert transfer is not None

    async def uploaded() -> bool:
        upload = transfer.uploads.get(task_id)
        return upload is not None and upload.status == "waiting_ack"

    await site.until(uploaded, what="objects uploaded, upload_complete held")
    return robot, task_id, hold, transfer.uploads[task_id].s3_key


def _bucket(site: Site) -> str:
    return get_settings().bucket_for(site.world.factory_id)


async def _refused(site: Site, robot: AxonRobot, task_id: str) -> dict[str, Any]:
    async def rejected() -> bool:
        row = upload_row(task_id)
        return row is not None and row.state == "rejected"

    await site.until(rejected, what="upload rejected")
    detail = await site.wait_status(task_id, "failed")
    assert detail["episode_id"] is None and count_episodes(task_id) == 0
    assert task_id not in robot.transfer.acked  # type: ignore[union-attr]
    assert list(robot.data_dir.glob(f"{task_id}.*"))  # the robot keeps its files
    return detail


async def test_a_sidecar_with_nan_is_refused_and_never_acked(site: Site, s3: Any) -> None:
    robot, task_id, hold, mcap_key = await _uploaded_and_held(site)
    sidecar_key = mcap_key[: -len(".mcap")] + ".json"
    raw = s3.get_object(Bucket=_bucket(site), Key=sidecar_key)["Body"].read()
    poisoned = raw.replace(b'"duration_sec": ', b'"duration_sec": NaN, "was": ', 1)
    assert poisoned != raw
    s3.put_object(Bucket=_bucket(site), Key=sidecar_key, Body=poisoned)
    hold.set()
    detail = await _refused(site, robot, task_id)
    assert "bad_sidecar" in detail["failure_reason"] and "NaN" in detail["failure_reason"]
    assert "NaN" in (upload_row(task_id).last_error or "")


async def _strip_metadata(site: Site, s3: Any, key: str, data: bytes) -> None:
    """The recording as an uploader that sends no checksum metadata leaves it."""
    s3.put_object(Bucket=_bucket(site), Key=key, Body=data)
    head = s3.head_object(Bucket=_bucket(site), Key=key, ChecksumMode="ENABLED")
    assert "checksum-sha256" not in head.get("Metadata", {})
    assert "ChecksumSHA256" not in head  # nothing to compare with but the bytes


async def test_without_checksum_metadata_the_bytes_are_read_before_the_ack(
    site: Site, s3: Any
) -> None:
    robot, task_id, hold, mcap_key = await _uploaded_and_held(site)
    data = (robot.data_dir / f"{task_id}.mcap").read_bytes()
    await _strip_metadata(site, s3, mcap_key, data)
    hold.set()
    await robot.transfer.wait_acked(task_id, 20)  # type: ignore[union-attr]
    detail = await site.wait_status(task_id, "completed")
    episode = await site.call("GET", f"/api/v1/episodes/{detail['episode_id']}")
    assert episode["checksum_sha256"] == hashlib.sha256(data).hexdigest()


async def test_without_checksum_metadata_corrupt_bytes_are_never_acked(site: Site, s3: Any) -> None:
    robot, task_id, hold, mcap_key = await _uploaded_and_held(site)
    data = bytearray((robot.data_dir / f"{task_id}.mcap").read_bytes())
    data[len(data) // 2] ^= 0xFF  # one bit-rotten byte, same length
    await _strip_metadata(site, s3, mcap_key, bytes(data))
    hold.set()
    detail = await _refused(site, robot, task_id)
    assert "checksum_mismatch" in detail["failure_reason"]
    assert "stored bytes" in detail["failure_reason"]
