"""The server restarts while a robot is uploading: nothing is lost. The robot reconnects
(same URLs), still waiting for its ACK; the new server verifies the upload and ACKs it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from keystone_dev.seaweed import free_port
from keystone_sim.axon import Faults
from tests.gateways.harness import Gateway, Site, build_site, count_episodes
from tests.support.processes import wait_http

pytestmark = pytest.mark.anyio


@contextmanager
def api_server(port: int, log: Path) -> Iterator[str]:
    """`keystone api` on a fixed port (robots keep the URLs they registered with)."""
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KEYSTONE_PUBLIC_BASE_URL": base}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "keystone_dev.cli.main", "api", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_http(base + "/healthz", proc=proc)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)  # a graceful stop, as a deployment restarts it
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def test_server_restart_mid_upload(s3_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port, log = free_port(), tmp_path / "api.log"
    hold = asyncio.Event()
    site: Site | None = None
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        try:
            with api_server(port, log) as base:
                site = await build_site(Gateway(base, None), http, tmp_path)
                robot = await site.online_robot(Faults(hold_uploads=hold))
                station = await site.station(robot)
                await site.order(target=1)
                token, task = await site.next_task(station)
                task_id = task["id"]
                await site.record(station, token, task_id)
                transfer = robot.transfer
                assert transfer is not None

                async def uploaded() -> bool:
                    upload = transfer.uploads.get(task_id)
                    return upload is not None and upload.status == "waiting_ack"

                await site.until(uploaded, what="objects uploaded, completion not reported")
                assert (await site.task(task_id))["status"] == "uploading"
            # The server is down. The upload finishes; its report cannot be delivered.
            hold.set()
            await asyncio.sleep(0.2)
            assert transfer.uploads[task_id].status == "waiting_ack"
            with api_server(port, log):
                await transfer.wait_acked(task_id, 30)
                detail = await site.wait_status(task_id, "completed")
                assert count_episodes(task_id) == 1
                episode = await site.call("GET", f"/api/v1/episodes/{detail['episode_id']}")
                assert episode["status"] == "pending_qa"
                # The recorder's last known state survived the restart.
                rows = await site.call(
                    "GET", "/api/v1/robots", params={"device_id": robot.device_id}
                )
                assert rows["items"][0]["recorder_state"] == "idle"
                await site.until(lambda: site._live(robot), what="recorder back")
        finally:
            if site is not None:
                await site.close()
