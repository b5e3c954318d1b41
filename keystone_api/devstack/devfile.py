"""The demo world seeded through the running API, the development tokens, and
`.keystone/dev.json`: every URL, token and account a script needs to use this edge."""

from __future__ import annotations

import json
import os
from typing import Any

from pydantic import SecretStr

from keystone_api.accounts.tokens import TokenClaims, mint
from keystone_api.devstack.config import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    CLOUD_BUCKET,
    FLEET,
    INSPECTOR_PASSWORD,
    DevConfig,
)
from keystone_api.devstack.seed import FACTORY, INSPECTOR, DemoWorld, seed_world
from keystone_api.settings import Settings
from keystone_sim.fleet.provision import AdminApi
from keystone_sim.fleet.target import DEV_COLLECTOR_PASSWORD

TOKEN_TTL_S = 30 * 24 * 3600  # rewritten at every start; long enough for a dev session


def _settings(secret: str) -> Settings:
    return Settings(jwt_secret=SecretStr(secret))


def service_token(secret: str) -> str:
    """The edge's sync sender calling the cloud instance (same signing key in dev)."""
    claims = TokenClaims("service", "edge-sync-dev", "service")
    return mint(_settings(secret), claims, ttl_s=365 * 24 * 3600)


def seed_and_mint(
    cfg: DevConfig, secret: str, robot_type_id: str, robot_type: str
) -> tuple[DemoWorld, dict[str, str]]:
    settings = _settings(secret)
    tool = mint(settings, TokenClaims("tool", "keystone-dev", "admin"), ttl_s=600)
    api = AdminApi(cfg.url(cfg.api_port), tool)
    try:
        world = seed_world(
            api,
            robot_type_id,
            robot_type,
            stations=cfg.robots,
            fleet=FLEET,
            collector_password=DEV_COLLECTOR_PASSWORD,
            inspector_password=INSPECTOR_PASSWORD,
        )
        users = {u["username"]: u for u in api.items("/api/v1/users")}
    finally:
        api.close()

    def user(username: str) -> str:
        row = users[username]
        claims = TokenClaims("user", row["id"], row["role"], row.get("factory_id"))
        return mint(settings, claims, ttl_s=TOKEN_TTL_S)

    display = TokenClaims("display", "display-token", "display", world.factory_id)
    tokens = {
        "admin": user(ADMIN_USERNAME),
        "inspector": user(INSPECTOR),
        "display": mint(settings, display, ttl_s=TOKEN_TTL_S),
        "cloud_service": service_token(secret),
    }
    return world, tokens


def urls(cfg: DevConfig, edge_s3: str, cloud_s3: str, display_token: str) -> dict[str, str]:
    api, cloud = cfg.url(cfg.api_port), cfg.url(cfg.cloud_api_port)
    return {
        "api": api,
        "api_docs": api + "/docs",
        "dashboard": api + "/dashboard",
        "inspection": api + "/dashboard/inspection",
        "display": f"{api}/dashboard/display?token={display_token}",
        "metrics": api + "/metrics",
        "dagster": cfg.url(cfg.dagster_port),
        "s3_edge": edge_s3,
        "s3_cloud": cloud_s3,
        "cloud_api": cloud,
        "cloud_api_docs": cloud + "/docs",
    }


def write(
    cfg: DevConfig,
    urls: dict[str, str],
    tokens: dict[str, str],
    world: DemoWorld,
    edge_s3: str,
    cloud_s3: str,
) -> None:
    doc: dict[str, Any] = {
        "urls": urls,
        "tokens": tokens,
        "accounts": {
            "admin": {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD},
            "inspector": {"username": INSPECTOR, "password": INSPECTOR_PASSWORD},
            "collector_password": DEV_COLLECTOR_PASSWORD,
        },
        "factory": {"id": world.factory_id, "name": FACTORY},
        "robot_type": {"id": world.robot_type_id, "name": world.robot_type},
        "order_id": world.order_id,
        "fleet": {"name": FLEET, "robots": cfg.robots, "simulated": cfg.simulate},
        "s3": {
            "edge": {"endpoint": edge_s3, "bucket": f"edge-{world.factory_id}"},
            "cloud": {"endpoint": cloud_s3, "bucket": CLOUD_BUCKET},
            "access_key": cfg.s3_access_key,
            "secret_key": cfg.s3_secret_key,
        },
        "databases": {"edge": cfg.database_url, "cloud": cfg.cloud_database_url},
        "state_dir": str(cfg.state_dir),
        "logs": str(cfg.state_dir / "logs"),
    }
    path = cfg.state_dir / "dev.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    os.chmod(tmp, 0o600)
    tmp.replace(path)
