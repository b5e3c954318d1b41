"""Registration, config templates and device tokens, as `axon-config` and the recorder see
them (axon-protocol.md section 1)."""

from __future__ import annotations

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from keystone_api.settings import get_settings
from keystone_sim.axon import RegistrationError, register, render_template
from tests.gateways.harness import Site

pytestmark = pytest.mark.anyio


async def test_register_answers_201_with_string_fields_and_endpoints(site: Site) -> None:
    reg = await register(site.http, site.enroll_url, site.factory, site.robot_type)
    body = reg.response
    for key in ("device_id", "factory", "factory_id", "robot_type", "robot_type_id", "robot_id"):
        assert isinstance(body[key], str) and body[key], key
    assert body["factory"] == site.factory and body["robot_type"] == site.robot_type
    assert body["factory_id"] == site.world.factory_id
    assert body["device_id"].startswith("AB-F") and len(body["device_id"]) == 21
    ws = site.gateway.base.replace("http://", "ws://")
    endpoints = body["endpoints"]
    assert endpoints["recorder_rpc_url"] == f"{ws}/recorder/{body['device_id']}"
    # The daemon appends "/{device_id}" and sends no header: its key is in the path.
    assert endpoints["transfer_ws_url"].startswith(f"{ws}/transfer/k/")
    assert len(endpoints["transfer_ws_url"].rsplit("/", 1)[1]) == 32
    # Its own store key, for its own prefix of its factory's bucket.
    storage = body["storage"]
    assert storage["bucket"] == get_settings().bucket_for(site.world.factory_id)
    assert storage["prefix"] == f"{site.world.factory_id}/{body['device_id']}/"
    assert storage["access_key"] != get_settings().s3_access_key
    # The templates came down raw and render with the client's own rules and values.
    assert reg.templates is not None
    transfer = reg.transfer_config()
    assert transfer["device_id"] == body["device_id"]
    assert transfer["ws"]["url"] == endpoints["transfer_ws_url"]
    s3 = transfer["uploader"]["s3"]
    assert s3["endpoint_url"] == get_settings().s3_endpoint_url
    assert s3["bucket"] == storage["bucket"]
    assert (s3["access_key"], s3["secret_key"]) == (storage["access_key"], storage["secret_key"])
    assert reg.recorder_config()["rpc"]["ws_client"]["url"] == endpoints["recorder_rpc_url"]
    topics = [s["name"] for s in reg.recorder_config()["subscriptions"]]
    assert "/joint_states" in topics


async def test_a_registered_robot_only_refreshes_its_templates(site: Site) -> None:
    robot = site.robot()
    first = await robot.register()
    again = await robot.register()  # device.json exists: axon-config refresh, no new device
    assert again.device_id == first.device_id and again.templates == first.templates


async def test_unknown_factory_or_robot_type_is_a_4xx_naming_it(site: Site) -> None:
    with pytest.raises(RegistrationError) as err:
        await register(site.http, site.enroll_url, "No Such Factory", site.robot_type)
    # The secret is not for that factory (whether it exists is not confirmed).
    assert err.value.status == 401 and "No Such Factory" in err.value.body
    with pytest.raises(RegistrationError) as err:
        await register(site.http, site.enroll_url, site.factory, "NoSuchBot")
    assert err.value.status == 404 and "NoSuchBot" in err.value.body
    resp = await site.http.post(
        site.enroll_url + "/api/v1/devices/register", json={"factory": site.factory}
    )
    assert resp.status_code == 422 and "robot_type" in resp.json()["error"]["message"]


async def test_registering_again_is_safe(site: Site) -> None:
    first = await register(site.http, site.enroll_url, site.factory, site.robot_type)
    # A plain repeat (the robot lost its device.json) is another device; the first is intact.
    second = await register(site.http, site.enroll_url, site.factory, site.robot_type)
    assert second.device_id != first.device_id
    assert second.response["robot_id"] != first.response["robot_id"]
    # With its own device token the robot gets its identity back, whatever else it sends.
    again = await register(
        site.http, site.gateway.base, site.factory, site.robot_type, bearer=first.token
    )  # no enrollment secret needed: its own token says who it is
    assert again.device_id == first.device_id
    assert again.response["robot_id"] == first.response["robot_id"]
    for reg in (first, second, again):  # every token handed out still opens the socket
        await _dial(reg.response["endpoints"]["recorder_rpc_url"], reg.token)
    # A token of another robot type is refused rather than creating anything.
    robot_type = site.robot_type
    other = await site.call(
        "POST", "/api/v1/robot-types", expect=201, json={"name": robot_type + " B"}
    )
    with pytest.raises(RegistrationError) as err:
        await register(
            site.http, site.gateway.base, site.factory, other["name"], bearer=first.token
        )
    assert err.value.status == 401


async def test_templates_raw_managed_by_admins_404_when_absent(site: Site) -> None:
    rt = site.world.robot_type_id
    enrolled = site.enroll_url
    raw = await site.http.get(f"{enrolled}/api/v1/robot_types/{rt}/configs/recorder.yaml")
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("text/yaml")
    assert "{{ recorder_rpc_url }}" in raw.text  # served raw: the robot fills it
    transfer = await site.http.get(f"{enrolled}/api/v1/robot_types/{rt}/configs/transfer.yaml")
    secret = get_settings().s3_secret_key.get_secret_value()
    assert "{{ storage.secret_key }}" in transfer.text and secret not in transfer.text
    other = await site.http.get(f"{enrolled}/api/v1/robot_types/{rt}/configs/other.yaml")
    assert other.status_code == 404
    missing = await site.http.get(f"{enrolled}/api/v1/robot_types/nope/configs/recorder.yaml")
    assert missing.status_code == 404

    path = f"/api/v1/robot_types/{rt}/config_templates/transfer.yaml"
    operator = await _user_token(site, "operator")
    await site.call("PUT", path, operator, expect=403, json={"content": "a: 1\n"})
    bad = await site.call("PUT", path, expect=422, json={"content": "url: {{ nope }}\n"})
    assert "nope" in bad["error"]["message"]
    await site.call("PUT", path, expect=422, json={"content": "a: {{ device_id }\n"})
    content = 'device_id: "{{ device_id }}"\n'
    await site.call("PUT", path, json={"content": content})
    got = await site.http.get(f"{enrolled}/api/v1/robot_types/{rt}/configs/transfer.yaml")
    assert got.text == content
    rendered = render_template(got.text, {"device_id": "AB-1"})
    assert rendered == 'device_id: "AB-1"\n'
    listed = await site.call("GET", f"/api/v1/robot_types/{rt}/config_templates", operator)
    assert {t["filename"]: t["exists"] for t in listed} == {
        "recorder.yaml": True,
        "transfer.yaml": True,
    }

    await site.call("DELETE", path, expect=204)
    assert (
        await site.http.get(f"{enrolled}/api/v1/robot_types/{rt}/configs/transfer.yaml")
    ).status_code == 404
    # A 404 on either template: the client skips both (and still registers).
    reg = await register(site.http, site.enroll_url, site.factory, site.robot_type)
    assert reg.templates is None


async def test_token_rotation_revokes_the_recorder_socket(site: Site, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    reg = await register(site.http, site.enroll_url, site.factory, site.robot_type)
    url = reg.response["endpoints"]["recorder_rpc_url"]
    await _dial(url, reg.token)
    with pytest.raises(InvalidStatus) as err:
        await _dial(url, None)  # production: the Bearer is required
    assert err.value.response.status_code == 401
    rotated = await site.call("POST", f"/api/v1/robots/{reg.response['robot_id']}/rotate-token")
    with pytest.raises(InvalidStatus) as err:
        await _dial(url, reg.token)
    assert err.value.response.status_code == 401 and b"revoked" in err.value.response.body
    await _dial(url, rotated["token"])
    with pytest.raises(InvalidStatus) as err:  # another device's token
        other = await register(site.http, site.enroll_url, site.factory, site.robot_type)
        await _dial(url, other.token)
    assert err.value.response.status_code == 401
    with pytest.raises(InvalidStatus) as err:
        await _dial(url.rsplit("/", 1)[0] + "/AB-F9999-T9999-000001", rotated["token"])
    assert err.value.response.status_code == 401
    monkeypatch.setattr(get_settings(), "dev_mode", True)
    await _dial(url, None)  # dev: the Bearer is optional


async def _dial(url: str, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with connect(url, additional_headers=headers, open_timeout=10) as ws:
        await ws.recv()  # the server's get_state: the socket is up and served


async def _user_token(site: Site, role: str) -> str:
    import asyncio

    return await asyncio.to_thread(site.world.user, role)
