"""Who the robots' sockets let in. The transfer daemon sends no header, so its URL's key
segment is its credential: without it, with another device's or a rotated one, refused.
An unauthenticated recorder (dev mode) never displaces one that showed its token. An
address that keeps being refused is answered 429 without a lookup; a socket that floods
frames has them refused and is closed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from keystone_api.gateways.throttle import FRAME_OVERFLOW_CLOSE, DoorThrottle
from keystone_api.settings import get_settings
from keystone_sim.axon import register
from tests.gateways.harness import Site

pytestmark = pytest.mark.anyio


async def _status(url: str, headers: dict[str, str] | None = None, **kw: Any) -> int:
    try:
        async with connect(url, additional_headers=headers or {}, open_timeout=10, **kw):
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


async def test_the_transfer_socket_needs_the_device_key_of_its_url(site: Site) -> None:
    a = await register(site.http, site.enroll_url, site.factory, site.robot_type)
    b = await register(site.http, site.enroll_url, site.factory, site.robot_type)
    a_url = a.response["endpoints"]["transfer_ws_url"]
    b_url = b.response["endpoints"]["transfer_ws_url"]
    ws = site.gateway.base.replace("http://", "ws://")
    assert await _status(f"{a_url}/{a.device_id}") == 101
    assert await _status(f"{ws}/transfer/{a.device_id}") == 401  # the bare path of old
    assert await _status(f"{ws}/transfer/k/{'x' * 32}/{a.device_id}") == 401
    assert await _status(f"{b_url}/{a.device_id}") == 401  # B's key on A's path
    assert await _status(f"{a_url}/AB-F9999-T9999-000001") == 401  # no such device: same
    rotated = await site.call("POST", f"/api/v1/robots/{a.response['robot_id']}/rotate-token")
    assert await _status(f"{a_url}/{a.device_id}") == 401
    new_url = rotated["endpoints"]["transfer_ws_url"]
    assert await _status(f"{new_url}/{a.device_id}") == 101
    await site.call("DELETE", f"/api/v1/robots/{a.response['robot_id']}")
    assert await _status(f"{new_url}/{a.device_id}") == 401


async def test_an_unauthenticated_recorder_never_displaces_one_with_its_token(
    site: Site, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(get_settings(), "dev_mode", True)
    reg = await register(site.http, site.enroll_url, site.factory, site.robot_type)
    url = reg.response["endpoints"]["recorder_rpc_url"]
    hub = site.gateway.hub
    bearer = {"Authorization": f"Bearer {reg.token}"}
    async with connect(url, additional_headers=bearer) as real:
        await real.recv()  # get_state: it is the device's socket
        first = hub.recorders[reg.device_id]
        assert await _status(url) == 409  # dev mode, no token: refused, not a takeover
        assert hub.recorders[reg.device_id] is first and not first.closed
        # With a token, a newer socket of the device replaces the older (a reconnect).
        async with connect(url, additional_headers=bearer) as newer:
            await newer.recv()
            assert hub.recorders[reg.device_id] is not first
    # Unauthenticated first: one with the token takes over, as it should.
    async with connect(url) as anonymous:
        await anonymous.recv()
        async with connect(url, additional_headers=bearer) as real:
            await real.recv()
            assert hub.recorders[reg.device_id].authenticated


@pytest.fixture
def strict_doors(site: Site) -> Iterator[DoorThrottle]:
    """The production refusal rate, and a low frame rate, on the test gateway."""
    app = site.gateway.app
    previous = getattr(app.state, "door_throttle", None)
    app.state.door_throttle = DoorThrottle("5/second", "30/minute")
    try:
        yield app.state.door_throttle
    finally:
        app.state.door_throttle = previous


async def test_an_address_that_keeps_being_refused_is_answered_429(
    site: Site, strict_doors: DoorThrottle
) -> None:
    reg = await register(site.http, site.enroll_url, site.factory, site.robot_type)
    key_url = reg.response["endpoints"]["transfer_ws_url"]
    wrong = key_url.rsplit("/", 1)[0] + "/" + "w" * 32
    scanner = {"local_addr": ("127.0.0.7", 0)}
    codes = [await _status(f"{wrong}/{reg.device_id}", **scanner) for _ in range(30)]
    assert codes == [401] * 30
    # Now even the right key is answered 429 from that address, without a lookup ...
    assert await _status(f"{key_url}/{reg.device_id}", **scanner) == 429
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.7")
    async with httpx.AsyncClient(transport=transport, base_url=site.gateway.base) as http:
        resp = await http.post(
            site.enroll_url + "/api/v1/devices/register",
            json={"factory": site.factory, "robot_type": site.robot_type},
        )
        assert resp.status_code == 429 and int(resp.headers["retry-after"]) >= 1
        assert resp.json()["error"]["code"] == "rate_limited"
    # ... while the robot itself, from its own address, is not affected.
    assert await _status(f"{key_url}/{reg.device_id}") == 101


async def test_a_socket_that_floods_frames_is_refused_then_closed(
    site: Site, strict_doors: DoorThrottle
) -> None:
    reg = await register(site.http, site.enroll_url, site.factory, site.robot_type)
    url = reg.response["endpoints"]["transfer_ws_url"] + "/" + reg.device_id
    hub = site.gateway.hub
    status = json.dumps({"type": "status", "data": {"pending_count": 0}})
    async with connect(url) as flood:
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(FRAME_OVERFLOW_CLOSE + 50):
                await flood.send(status)
            await asyncio.wait_for(flood.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert reg.device_id not in hub.transfers
