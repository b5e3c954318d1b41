"""Enrollment: a robot registers only with its factory's enrollment secret, sent as HTTP
Basic from the URL `axon-config` is given (axon-protocol.md section 8). Secrets are minted,
listed and revoked by admins; they expire, may be one-time, and belong to one factory."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from keystone_api.db.base import utcnow
from keystone_api.db.engine import get_sessionmaker
from keystone_api.enrollment.models import EnrollmentSecret
from keystone_api.fleet.models import Robot
from keystone_sim.axon import RegistrationError, register
from tests.gateways.harness import Site

pytestmark = pytest.mark.anyio


def _robots() -> int:
    with get_sessionmaker()() as session:
        return int(session.execute(select(func.count()).select_from(Robot)).scalar_one())


async def _mint(site: Site, **body: object) -> dict:
    body = {"factory_id": site.world.factory_id, **body}
    return await site.call("POST", "/api/v1/enrollment-secrets", expect=201, json=body)


def _with_secret(site: Site, secret: str) -> str:
    return site.gateway.base.replace("http://", f"http://enroll:{secret}@")


async def _refused(site: Site, url: str) -> RegistrationError:
    with pytest.raises(RegistrationError) as err:
        await register(site.http, url, site.factory, site.robot_type)
    assert err.value.status == 401, err.value.body
    return err.value


async def test_registration_without_a_valid_secret_is_401_and_creates_nothing(site: Site) -> None:
    before = _robots()
    resp = await site.http.post(
        "/api/v1/devices/register", json={"factory": site.factory, "robot_type": site.robot_type}
    )
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"].startswith("Basic")
    error = resp.json()["error"]
    assert error["code"] == "enrollment_required"
    assert "enrollment secret missing" in error["message"] and "enroll:SECRET@" in error["message"]
    await _refused(site, _with_secret(site, "not-a-secret"))
    garbled = await site.http.post(
        "/api/v1/devices/register",
        json={"factory": site.factory, "robot_type": site.robot_type},
        headers={"Authorization": "Basic %%%not-base64"},
    )
    assert garbled.status_code == 401 and "malformed" in garbled.json()["error"]["message"]
    # Another factory's valid secret admits nobody here.
    other = await asyncio.to_thread(_other_factory_secret, site)
    err = await _refused(site, _with_secret(site, other))
    assert "not valid for factory" in err.body
    assert _robots() == before


def _other_factory_secret(site: Site) -> str:
    from tests.api.world import build_world

    other = build_world(site.world.client, stations=0)
    resp = site.world.client.post(
        "/api/v1/enrollment-secrets",
        json={"factory_id": other.factory_id},
        headers={"Authorization": f"Bearer {site.admin}"},
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["secret"])


async def test_a_revoked_or_expired_secret_enrolls_nobody(site: Site) -> None:
    revoked = await _mint(site, label="revoked")
    url = _with_secret(site, revoked["secret"])
    assert (await register(site.http, url, site.factory, site.robot_type)).device_id
    await site.call("DELETE", f"/api/v1/enrollment-secrets/{revoked['id']}", expect=204)
    assert "revoked" in (await _refused(site, url)).body

    expired = await _mint(site, label="expired")
    with get_sessionmaker().begin() as session:
        session.execute(
            update(EnrollmentSecret)
            .where(EnrollmentSecret.id == expired["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert "expired" in (await _refused(site, _with_secret(site, expired["secret"]))).body


async def test_a_one_time_secret_enrolls_exactly_one_robot_however_many_race(site: Site) -> None:
    minted = await _mint(site, one_time=True)
    url = _with_secret(site, minted["secret"])
    results = await asyncio.gather(
        *(register(site.http, url, site.factory, site.robot_type) for _ in range(6)),
        return_exceptions=True,
    )
    enrolled = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, RegistrationError)]
    assert len(enrolled) == 1 and len(refused) == 5, results
    assert all(r.status == 401 and "already used" in r.body for r in refused)
    # Its robot still fetches its templates right after (axon-config does, with the URL).
    rt = site.world.robot_type_id
    got = await site.http.get(f"{url}/api/v1/robot_types/{rt}/configs/transfer.yaml")
    assert got.status_code == 200


async def test_admins_mint_list_and_revoke_secrets_shown_once(site: Site) -> None:
    minted = await _mint(site, label="line 3", ttl_s=3600)
    assert minted["secret"] and minted["hint"] == minted["secret"][:6]
    assert minted["enroll_url"] == _with_secret(site, minted["secret"])
    assert minted["active"] and minted["expires_at"] is not None
    listed = await site.call(
        "GET", "/api/v1/enrollment-secrets", params={"factory_id": site.world.factory_id}
    )
    mine = [s for s in listed["items"] if s["id"] == minted["id"]]
    assert mine and "secret" not in mine[0] and mine[0]["label"] == "line 3"
    await site.call("DELETE", f"/api/v1/enrollment-secrets/{minted['id']}", expect=204)
    active = await site.call(
        "GET", "/api/v1/enrollment-secrets", params={"factory_id": site.world.factory_id}
    )
    assert minted["id"] not in {s["id"] for s in active["items"]}
    everything = await site.call(
        "GET",
        "/api/v1/enrollment-secrets",
        params={"factory_id": site.world.factory_id, "include_inactive": True},
    )
    revoked = next(s for s in everything["items"] if s["id"] == minted["id"])
    assert revoked["revoked_at"] and not revoked["active"] and revoked["revoked_by"]


async def test_only_admins_of_the_factory_handle_secrets(site: Site) -> None:
    operator = await asyncio.to_thread(site.world.user, "operator")
    body = {"factory_id": site.world.factory_id}
    await site.call("POST", "/api/v1/enrollment-secrets", operator, expect=403, json=body)
    await site.call("GET", "/api/v1/enrollment-secrets", operator, expect=403)
    minted = await _mint(site)
    await site.call("DELETE", f"/api/v1/enrollment-secrets/{minted['id']}", operator, expect=403)


async def test_templates_need_a_secret_a_device_token_or_staff(site: Site) -> None:
    rt = site.world.robot_type_id
    path = f"/api/v1/robot_types/{rt}/configs/recorder.yaml"
    anonymous = await site.http.get(path)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "enrollment_required"
    assert (await site.http.get(_with_secret(site, "wrong") + path)).status_code == 401
    assert (await site.http.get(site.enroll_url + path)).status_code == 200
    robot = await register(site.http, site.enroll_url, site.factory, site.robot_type)
    as_robot = await site.http.get(path, headers={"Authorization": f"Bearer {robot.token}"})
    assert as_robot.status_code == 200
    as_admin = await site.http.get(path, headers={"Authorization": f"Bearer {site.admin}"})
    assert as_admin.status_code == 200
