"""Scaled out: `keystone api --workers 2` serves the API without the robot gateways, and
`keystone gateway` holds every robot's sockets in one process. An unmodified (emulated) Axon
robot registers at the API, is sent to the gateway for its WebSockets, posts its callbacks
to the API workers, and its upload is still requested, verified, ACKed and registered."""

from __future__ import annotations

import httpx
import pytest

from keystone_dev.seaweed import free_port
from tests.gateways.harness import Gateway, build_site, count_episodes
from tests.support.processes import KEYSTONE, wait_http

pytestmark = pytest.mark.anyio


@pytest.fixture
def split(s3_server, tmp_path):  # type: ignore[no-untyped-def]
    import os
    import subprocess

    api_port, gw_port = free_port(), free_port()
    env = {
        **os.environ,
        "KEYSTONE_PUBLIC_BASE_URL": f"http://127.0.0.1:{api_port}",
        "KEYSTONE_GATEWAY_URL": f"http://127.0.0.1:{gw_port}",
    }
    procs = []
    for args, log in (
        (["api", "--port", str(api_port), "--workers", "2", "--no-preflight"], "api"),
        (["gateway", "--port", str(gw_port), "--no-preflight"], "gateway"),
    ):
        out = open(tmp_path / f"{log}.log", "wb")  # noqa: SIM115
        procs.append(
            subprocess.Popen(
                [*KEYSTONE, *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    try:
        wait_http(f"http://127.0.0.1:{api_port}/healthz", 60, procs[0])
        wait_http(f"http://127.0.0.1:{gw_port}/healthz", 60, procs[1])
        yield f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{gw_port}"
    finally:
        for proc in procs:
            os.killpg(proc.pid, 15)
        for proc in procs:
            proc.wait(timeout=30)


async def test_robot_runs_against_api_workers_and_a_separate_gateway(split, tmp_path) -> None:  # type: ignore[no-untyped-def]
    api, gateway = split
    async with (
        httpx.AsyncClient(base_url=api, timeout=30) as http,
        httpx.AsyncClient(base_url=gateway, timeout=30) as gw,
    ):
        site = await build_site(Gateway(api, None), http, tmp_path)
        try:
            # The API has no gateway routes; the gateway has nothing else.
            assert (await http.get("/api/v1/device-state/stream")).status_code == 404
            assert (await gw.get("/api/v1/orders")).status_code == 404
            robot = await site.online_robot_at(gateway)
            assert robot.registration.response["endpoints"]["recorder_rpc_url"].startswith(  # type: ignore[union-attr]
                gateway.replace("http://", "ws://")
            )
            station = await site.station(robot)
            await site.order(target=1)
            token, task = await site.next_task(station)

            async def act(action: str, **body: object) -> dict:  # type: ignore[type-arg]
                resp = await gw.post(
                    f"/api/v1/recorder/{robot.device_id}/{action}",
                    json=body or None,
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert resp.status_code == 200, resp.text
                return resp.json()

            assert (await act("config", task_id=task["id"]))["task_status"] == "ready"
            assert (await act("begin"))["task_status"] == "in_progress"
            await act("finish")
            # The finish callback was answered by an API worker; the gateway still asks the
            # robot to upload, verifies it and ACKs.
            await robot.transfer.wait_acked(task["id"], timeout=30)  # type: ignore[union-attr]
            detail = await site.wait_status(task["id"], "completed")
            assert detail["episode_id"] and count_episodes(task["id"]) == 1
            callbacks = {c.kind: c.status_code for c in robot.recorder.callbacks}  # type: ignore[union-attr]
            assert callbacks == {"start": 200, "finish": 200}
        finally:
            await site.close()
