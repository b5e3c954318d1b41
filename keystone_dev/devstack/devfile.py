"""The demo world seeded through the running API, the development tokens, and
`.keystone/dev.json`: every URL, token and account a script needs to use this edge."""

from __future__ import annotations

import json
import os
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from keystone_api.accounts import registry
from keystone_api.accounts.models import ApiToken, Role, User
from keystone_api.accounts.tokens import TokenClaims, mint
from keystone_api.db.engine import make_engine
from keystone_api.settings import DeployRole, Settings
from keystone_dev.devstack.config import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    CLOUD_BUCKET,
    CLOUD_READER,
    CLOUD_READER_PASSWORD,
    FLEET,
    INSPECTOR_PASSWORD,
    DevConfig,
    DevKeys,
)
from keystone_dev.devstack.seed import FACTORY, INSPECTOR, DemoWorld, seed_world
from keystone_sim.factory.provision import AdminApi, ApiError
from keystone_sim.factory.target import DEV_COLLECTOR_PASSWORD

TOKEN_TTL_S = 30 * 24 * 3600  # rewritten at every start; long enough for a dev session
MINTED_BY = "keystone dev"


def _settings(secret: str, role: DeployRole = DeployRole.edge) -> Settings:
    # Issuer and audience as the process of that role derives them (keystone-edge,
    # keystone-cloud), unless the environment names them.
    return Settings(jwt_secret=SecretStr(secret), role=role)


def _recorded(
    database_url: str, settings: Settings, role: Role, label: str, ttl_s: int, **scope: str
) -> str:
    """A tool, display or service token recorded in that instance's token registry; the one
    the previous start minted for the same purpose is revoked (one live token each)."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            older = select(ApiToken).where(
                ApiToken.label == label,
                ApiToken.created_by == MINTED_BY,
                ApiToken.revoked_at.is_(None),
            )
            for row in session.execute(older).scalars():
                registry.revoke(session, row, MINTED_BY)
            _, token = registry.mint_recorded(
                session, settings, role, ttl_s=ttl_s, label=label, created_by=MINTED_BY, **scope
            )
            return token
    finally:
        engine.dispose()


def service_token(cfg: DevConfig, keys: DevKeys, world: DemoWorld) -> str:
    """The edge's sync sender calling the cloud instance: signed with the cloud's key, for
    the cloud's issuer and audience, recorded in the cloud's registry (where it can be
    listed and revoked), and bound to the demo factory and its organization: it replicates
    nothing else."""
    cloud = _settings(keys.cloud, DeployRole.cloud)
    return _recorded(
        cfg.cloud_database_url,
        cloud,
        Role.service,
        "edge sync (keystone dev)",
        365 * 24 * 3600,
        factory_id=world.factory_id,
        organization_id=world.organization_id,
    )


def cloud_reader(cfg: DevConfig, keys: DevKeys) -> None:
    """The cloud's data reader, made once through the cloud's API as its admin would: the
    catalog's pages (cloud /catalog) need a login."""
    cloud = _settings(keys.cloud, DeployRole.cloud)
    tool = _recorded(cfg.cloud_database_url, cloud, Role.admin, "seeding (keystone dev)", 600)
    api = AdminApi(cfg.url(cfg.cloud_api_port), tool)
    body = {"username": CLOUD_READER, "password": CLOUD_READER_PASSWORD, "role": "data_reader"}
    try:
        api.call("POST", "/api/v1/users", body | {"display_name": "Data reader (dev)"})
    except ApiError as exc:
        if exc.status != 409:  # made by an earlier start
            raise
    finally:
        api.close()


def _user_tokens(cfg: DevConfig, settings: Settings, usernames: list[str]) -> dict[str, str]:
    """Tokens of these accounts as a login would issue them (with their token version), for
    a month: a password or role change revokes them as it does any login's."""
    engine = make_engine(cfg.database_url)
    try:
        with Session(engine) as session:
            users = session.execute(select(User).where(User.username.in_(usernames))).scalars()
            return {
                u.username: mint(
                    settings,
                    TokenClaims(
                        "user", u.id, u.role.value, u.factory_id, token_version=u.token_version
                    ),
                    ttl_s=TOKEN_TTL_S,
                )
                for u in users
            }
    finally:
        engine.dispose()


def seed_and_mint(
    cfg: DevConfig, keys: DevKeys, robot_type_id: str, robot_type: str
) -> tuple[DemoWorld, dict[str, str]]:
    settings = _settings(keys.edge)
    tool = _recorded(cfg.database_url, settings, Role.admin, "seeding (keystone dev)", 600)
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
    finally:
        api.close()
    cloud_reader(cfg, keys)
    users = _user_tokens(cfg, settings, [ADMIN_USERNAME, INSPECTOR])
    display = _recorded(
        cfg.database_url,
        settings,
        Role.display,
        "floor screen (keystone dev)",
        TOKEN_TTL_S,
        factory_id=world.factory_id,
    )
    tokens = {
        "admin": users[ADMIN_USERNAME],
        "inspector": users[INSPECTOR],
        "display": display,
        "cloud_service": service_token(cfg, keys, world),
    }
    return world, tokens


def urls(cfg: DevConfig, edge_s3: str, cloud_s3: str, display_token: str) -> dict[str, str]:
    api, cloud = cfg.url(cfg.api_port), cfg.url(cfg.cloud_api_port)
    return {
        "api": api,
        "api_docs": api + "/docs",
        "dashboard": api + "/dashboard",
        "inspection": api + "/dashboard/inspection",
        # After '#': a fragment never leaves the browser, so no access log holds the token.
        "display": f"{api}/dashboard/display#token={display_token}",
        "metrics": api + "/metrics",
        "dagster": cfg.url(cfg.dagster_port),
        "s3_edge": edge_s3,
        "s3_cloud": cloud_s3,
        "cloud_api": cloud,
        "cloud_api_docs": cloud + "/docs",
        "catalog": cloud + "/catalog",
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
            "cloud_reader": {"username": CLOUD_READER, "password": CLOUD_READER_PASSWORD},
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
