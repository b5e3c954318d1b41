"""Who may scrape /metrics (keystone_api/metrics/access.py), on the live edge app outside
dev mode: nobody without a credential, Prometheus with KEYSTONE_METRICS_TOKEN, admins and
operators with their JWT (a factory-bound one sees only its factory); the public opt-out
and dev mode open it; a short scrape token stops the process from starting."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from keystone_api.preflight import ConfigError, load_settings
from tests.api.world import World, auth, build_world
from tests.support.settings_env import new_scrape_token, settings_env

FRESH = {"metrics_min_interval_s": "0"}  # every scrape reads: these tests compare contents


@pytest.fixture
def client(in_process_client: TestClient) -> TestClient:
    """Requests and answers against the database only: the app in-process, rolled back."""
    return in_process_client


def factories_in(text: str) -> set[str]:
    return {
        s.labels["factory"]
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if "factory" in s.labels
    }


def test_anonymous_scrapes_are_refused_outside_dev(client: httpx.Client) -> None:
    for extra in ({}, {"metrics_token": new_scrape_token()}):
        with settings_env(**FRESH, **extra):
            answer = client.get("/metrics")
            assert answer.status_code == 401, answer.text
            assert answer.json()["error"]["code"] == "unauthorized"
            assert "KEYSTONE_METRICS_TOKEN" in answer.json()["error"]["message"]
            assert answer.headers["www-authenticate"].startswith("Bearer")
            assert "keystone_" not in answer.text


def test_the_scrape_token_and_nothing_like_it(client: httpx.Client, world: World) -> None:
    token = new_scrape_token()
    with settings_env(**FRESH, metrics_token=token):
        right = client.get("/metrics", headers=auth(token))
        assert right.status_code == 200, right.text
        assert world.factory_id in factories_in(right.text)
        for wrong in (new_scrape_token(), token[:-1], token + "x", token.upper(), "e30.e30.x"):
            answer = client.get("/metrics", headers=auth(wrong))
            assert answer.status_code == 401, (wrong, answer.text)
        basic = client.get("/metrics", headers={"Authorization": f"Basic {token}"})
        assert basic.status_code == 401


def test_staff_tokens_scrape_and_a_factory_bound_one_sees_its_factory(
    client: httpx.Client, world: World
) -> None:
    other = build_world(client)
    with settings_env(**FRESH, metrics_token=new_scrape_token()):
        admin = client.get("/metrics", headers=auth(world.admin))  # not bound to a factory
        assert admin.status_code == 200, admin.text
        assert {world.factory_id, other.factory_id} <= factories_in(admin.text)

        operator = client.get("/metrics", headers=auth(world.user("operator")))
        assert operator.status_code == 200, operator.text
        assert factories_in(operator.text) == {world.factory_id}
        assert other.factory_id not in operator.text

        for role in ("inspector", "collector"):
            answer = client.get("/metrics", headers=auth(world.user(role)))
            assert answer.status_code == 403, (role, answer.text)


@pytest.mark.parametrize("opening", [{"metrics_public": "true"}, {"dev_mode": "true"}])
def test_the_public_opt_out_and_dev_mode_open_it(
    client: httpx.Client, opening: dict[str, str]
) -> None:
    with settings_env(**FRESH, metrics_token=new_scrape_token(), **opening):
        answer = client.get("/metrics")
        assert answer.status_code == 200, answer.text
        assert "keystone_sync_queue_depth" in answer.text


def test_a_short_scrape_token_stops_the_process_from_starting() -> None:
    short = settings_env(metrics_token="s3cret-but-short")
    with short, pytest.raises(ConfigError, match="KEYSTONE_METRICS_TOKEN"):
        load_settings(signs_tokens=True)
