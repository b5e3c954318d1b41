"""Transfer faults: duplicate and unverifiable uploads, failed, stalled and missing uploads,
and a daemon that reconnects still waiting for its ACKs."""

from __future__ import annotations

import asyncio

import pytest

from keystone_sim.axon import Faults
from tests.gateways.harness import Site, count_episodes, upload_row

pytestmark = pytest.mark.anyio


async def _recorded(site: Site, faults: Faults | None = None, **kw):  # type: ignore[no-untyped-def]
    """A robot that has recorded one task (config, begin, finish through the API)."""
    robot = await site.online_robot(faults, **kw)
    station = await site.station(robot)
    await site.order(target=1)
    token, task = await site.next_task(station)
    await site.record(station, token, task["id"])
    return robot, station, token, task["id"]


async def test_duplicate_upload_complete_makes_one_episode(site: Site) -> None:
    robot, _, _, task_id = await _recorded(site, Faults(duplicate_complete=True))
    await robot.transfer.wait_acked(task_id, 20)  # type: ignore[union-attr]
    await site.wait_status(task_id, "completed")
    # The second report is verified too and ACKed again, without a second episode.
    await site.until(lambda: _acks_seen(site, task_id, 2), what="second ACK")
    assert count_episodes(task_id) == 1


async def _acks_seen(site: Site, task_id: str, n: int) -> bool:
    row = upload_row(task_id)
    return row is not None and row.state == "acked" and task_id in site.gateway.hub.acked


async def test_checksum_mismatch_is_never_acked(site: Site) -> None:
    robot, _, _, task_id = await _recorded(site, Faults(bad_checksum=True))

    async def rejected() -> bool:
        row = upload_row(task_id)
        return row is not None and row.state == "rejected"

    await site.until(rejected, what="upload rejected")
    detail = await site.wait_status(task_id, "failed")
    assert "checksum" in detail["failure_reason"]
    assert detail["episode_id"] is None and count_episodes(task_id) == 0
    assert task_id not in robot.transfer.acked  # type: ignore[union-attr]
    assert robot.transfer.uploads[task_id].status == "waiting_ack"  # type: ignore[union-attr]
    assert list(robot.data_dir.glob(f"{task_id}.*"))  # the robot keeps its files


async def test_upload_failed_then_operator_retry_completes(site: Site) -> None:
    robot, _, _, task_id = await _recorded(site, Faults(fail_uploads=1))
    detail = await site.wait_status(task_id, "failed")
    assert "connection reset by peer" in detail["failure_reason"]
    assert upload_row(task_id).state == "failed"
    retried = await site.call(
        "POST", f"/api/v1/tasks/{task_id}/retry", json={"mode": "upload", "reason": "try again"}
    )
    assert retried["status"] == "uploading"
    await robot.transfer.wait_acked(task_id, 20)  # type: ignore[union-attr]
    await site.wait_status(task_id, "completed")
    assert count_episodes(task_id) == 1


async def test_stalled_upload_is_requested_again(site: Site) -> None:
    hub = site.gateway.hub
    hub.upload_cooldown_s, hub.sweep_interval_s = 0.5, 0.1
    robot, _, _, task_id = await _recorded(site, Faults(ignore_upload_requests=2))
    await robot.transfer.wait_acked(task_id, 20)  # type: ignore[union-attr]
    await site.wait_status(task_id, "completed")
    assert upload_row(task_id).request_count >= 3


async def test_recording_missing_on_the_robot_fails_the_task(site: Site) -> None:
    hub = site.gateway.hub
    # The request after the ignored one must come after the files are gone: a cooldown far
    # longer than the unlink below, even on a loaded machine (at 0.3 s the robot sometimes
    # started uploading first and reported a failed upload instead of a missing recording).
    hub.upload_cooldown_s, hub.sweep_interval_s = 3.0, 0.1
    robot, _, _, task_id = await _recorded(site, Faults(ignore_upload_requests=1))
    for path in robot.data_dir.glob(f"{task_id}.*"):
        path.unlink()  # the disk was wiped before the upload
    detail = await site.wait_status(task_id, "failed")
    assert "no recording" in detail["failure_reason"]
    assert upload_row(task_id).state == "not_found"


async def test_reconnecting_daemon_is_acked_from_waiting_ack_task_ids(site: Site) -> None:
    hold = asyncio.Event()
    faults = Faults(hold_uploads=hold)
    robot, _, _, task_id = await _recorded(site, faults)
    transfer = robot.transfer
    assert transfer is not None

    async def uploaded() -> bool:
        upload = transfer.uploads.get(task_id)
        return upload is not None and upload.status == "waiting_ack"

    await site.until(uploaded, what="objects uploaded, upload_complete not yet sent")
    # The daemon now ignores upload requests: only its waiting_ack_task_ids can bring the ACK.
    faults.ignore_upload_requests = 1000
    await transfer.dialer.drop()
    await transfer.wait_acked(task_id, 20)
    hold.set()
    await site.wait_status(task_id, "completed")
    assert count_episodes(task_id) == 1
    assert [p.name for p in robot.data_dir.glob(f"{task_id}.*")] == [f"{task_id}.mcap.done"]


async def test_daemon_without_object_key_and_with_top_level_fields(site: Site) -> None:
    """Older daemons send no s3_key and other field layouts: the server finds the pair."""
    robot, _, _, task_id = await _recorded(
        site, Faults(omit_object_key=True, top_level_fields=True)
    )
    await robot.transfer.wait_acked(task_id, 20)  # type: ignore[union-attr]
    detail = await site.wait_status(task_id, "completed")
    episode = await site.call("GET", f"/api/v1/episodes/{detail['episode_id']}")
    assert episode["mcap_key"].endswith(f"/{task_id}.mcap")
