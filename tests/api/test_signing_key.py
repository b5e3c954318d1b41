"""The signing key: no process starts with a key anyone could know (unset, the former
built-in default, under 32 bytes), each says so in one line naming KEYSTONE_JWT_SECRET; edge
and cloud have their own issuer and audience, so neither accepts the other's tokens; a
well-signed token with a role it cannot have is a 401 that says why."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import ExitStack

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from keystone_api.preflight import FORMER_DEFAULT_SECRET, ConfigError
from keystone_api.settings import DeployRole, Settings, get_settings
from tests.api.forged import forge
from tests.api.world import auth, tool_token
from tests.support.live import serve_app
from tests.support.processes import KEYSTONE
from tests.support.settings_env import settings_env
from tests.support.tokens import recorded_token

UNSET = None
SHORT = "x" * 31
CLOUD_KEY = "the-clouds-own-signing-key-" + "c" * 40


@pytest.fixture
def client(in_process_client: TestClient) -> TestClient:
    """Requests and answers against the database only: the app in-process, rolled back."""
    return in_process_client


def _run(args: list[str], secret: str | None, timeout: float = 90) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "KEYSTONE_JWT_SECRET"}
    if secret is not None:
        env["KEYSTONE_JWT_SECRET"] = secret
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(
    ("args", "secret"),
    [
        (["api", "--no-preflight"], UNSET),
        (["api", "--no-preflight"], FORMER_DEFAULT_SECRET),
        (["api", "--no-preflight"], SHORT),
        (["gateway", "--no-preflight"], FORMER_DEFAULT_SECRET),
        (["sync", "run"], UNSET),
        (["sync", "status"], SHORT),
        (["token", "create", "--role", "admin"], FORMER_DEFAULT_SECRET),
    ],
)
def test_no_keystone_process_starts_with_a_weak_key(args: list[str], secret: str | None) -> None:
    result = _run([*KEYSTONE, *args], secret)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "KEYSTONE_JWT_SECRET" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_uvicorn_on_the_app_factory_refuses_a_weak_key() -> None:
    """Someone may run `uvicorn --factory keystone_api.app:create_app` directly."""
    args = [sys.executable, "-m", "uvicorn", "--factory", "keystone_api.app:create_app"]
    result = _run([*args, "--port", "0"], FORMER_DEFAULT_SECRET)
    assert result.returncode != 0
    assert "KEYSTONE_JWT_SECRET: is the old built-in default" in result.stderr


def test_the_dagster_code_location_refuses_to_load_without_a_key() -> None:
    result = _run([sys.executable, "-c", "import keystone_pipelines.definitions"], UNSET, 180)
    assert result.returncode != 0
    assert "KEYSTONE_JWT_SECRET: not set" in result.stderr


@pytest.mark.parametrize("secret", [FORMER_DEFAULT_SECRET, SHORT, ""])
def test_create_app_refuses_a_weak_key(secret: str) -> None:
    with settings_env(jwt_secret=secret), pytest.raises(ConfigError) as refused:
        from keystone_api.app import create_app

        create_app()
    assert str(refused.value).startswith("KEYSTONE_JWT_SECRET: ")


def test_issuer_and_audience_follow_the_role_unless_set() -> None:
    edge, cloud = Settings(role=DeployRole.edge), Settings(role=DeployRole.cloud)
    assert (edge.jwt_issuer, edge.jwt_audience) == ("keystone-edge", "keystone")  # as before
    assert (cloud.jwt_issuer, cloud.jwt_audience) == ("keystone-cloud", "keystone-cloud")
    assert Settings(role=DeployRole.cloud, jwt_audience="acme").jwt_audience == "acme"


def _app(settings: Settings) -> FastAPI:
    """An app of this role, built and served with these settings (in-process)."""
    from keystone_api.app import create_app
    from keystone_api.deps import settings_dep

    secret = settings.jwt_secret.get_secret_value()
    with settings_env(role=settings.role.value, jwt_secret=secret):
        app = create_app()
    app.dependency_overrides[settings_dep] = lambda: settings
    return app


def test_edge_tokens_are_no_use_at_the_cloud_and_back(s3_server) -> None:  # type: ignore[no-untyped-def]
    edge = get_settings()
    cloud = Settings(role=DeployRole.cloud, jwt_secret=SecretStr(CLOUD_KEY))
    # A cloud given the edge's key by mistake: the issuer and audience still differ.
    same_key = cloud.model_copy(update={"jwt_secret": edge.jwt_secret})
    edge_admin, cloud_admin = tool_token("admin"), recorded_token(cloud, "admin")
    with ExitStack() as stack:
        base = {
            name: stack.enter_context(serve_app(_app(settings)))
            for name, settings in (("edge", edge), ("cloud", cloud), ("same-key", same_key))
        }
        paths = httpx.get(base["cloud"] + "/openapi.json").json()["paths"]
        assert "/api/v1/sync/episode" in paths and "/api/v1/orders" not in paths

        def me(app: str, token: str) -> httpx.Response:
            return httpx.get(base[app] + "/api/v1/auth/me", headers=auth(token))

        assert me("edge", edge_admin).status_code == 200
        assert me("cloud", cloud_admin).status_code == 200
        for app, token in (("cloud", edge_admin), ("edge", cloud_admin), ("same-key", edge_admin)):
            answer = me(app, token)
            assert answer.status_code == 401, (app, answer.text)
            assert answer.json()["error"]["message"].startswith("invalid token: ")


@pytest.mark.parametrize(
    ("claims", "said"),
    [
        ({"role": "superuser"}, "a tool token cannot have role 'superuser'"),
        ({"kind": "display", "role": "admin"}, "a display token cannot have role 'admin'"),
        ({"kind": "user", "role": "robot"}, "a user token cannot have role 'robot'"),
        ({"kind": "device", "role": "admin"}, "a device token cannot have role 'admin'"),
        ({"kind": "root"}, "unknown kind"),
        ({"role": ["admin"]}, "cannot have role"),
    ],
)
def test_a_role_the_token_cannot_have_is_a_clear_401(client, claims, said) -> None:  # type: ignore[no-untyped-def]
    token = forge(get_settings(), **claims)
    for path in ("/api/v1/auth/me", "/api/v1/users", "/api/v1/scenes"):
        answer = client.get(path, headers=auth(token))
        assert answer.status_code == 401, answer.text
        assert said in answer.json()["error"]["message"]
