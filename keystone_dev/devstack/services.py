"""The processes `keystone dev` runs and their environments: the API in its edge role,
a second instance in its cloud role, the Dagster webserver and daemon (whose sync sensor
drains approved episodes into the cloud instance), and the fleet simulator."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from keystone_dev.devstack.config import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    CLOUD_BUCKET,
    FLEET,
    DevConfig,
    DevKeys,
)
from keystone_dev.devstack.dagster_home import REPO_ROOT, write_dagster_home, write_workspace
from keystone_dev.devstack.processes import ManagedProcess

KEYSTONE = [sys.executable, "-m", "keystone_dev.cli.main"]


def edge_env(cfg: DevConfig, keys: DevKeys, edge_s3: str) -> dict[str, str]:
    """What every edge process shares; each adds its own store key (devstack/store_keys)."""
    return {
        **os.environ,
        "KEYSTONE_ROLE": "edge",
        "KEYSTONE_DATABASE_URL": cfg.database_url,
        "KEYSTONE_S3_ENDPOINT_URL": edge_s3,
        "KEYSTONE_S3_ACCESS_KEY": cfg.s3_access_key,
        "KEYSTONE_S3_SECRET_KEY": cfg.s3_secret_key,
        "KEYSTONE_PUBLIC_BASE_URL": cfg.url(cfg.api_port),
        "KEYSTONE_DEV_MODE": "true",
        "KEYSTONE_JWT_SECRET": keys.edge,
        "KEYSTONE_BOOTSTRAP_ADMIN_USERNAME": ADMIN_USERNAME,
        "KEYSTONE_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "KEYSTONE_SYNC_MODE": "auto",
        # A handful of robots: QA at once rather than batched for a 6,000/h factory
        # (unless the environment says otherwise).
        "KEYSTONE_QA_MIN_BATCH": os.environ.get("KEYSTONE_QA_MIN_BATCH", "10"),
        "KEYSTONE_QA_MAX_WAIT_S": os.environ.get("KEYSTONE_QA_MAX_WAIT_S", "5"),
        # The landing page (/) links the Dagster UI; the alerts say which QA failures the
        # simulator makes on purpose.
        "KEYSTONE_DAGSTER_URL": cfg.url(cfg.dagster_port),
        **({"KEYSTONE_SIMULATED_DEFECT_RATE": str(cfg.defect_rate)} if cfg.simulate else {}),
    }


def sync_env(
    cfg: DevConfig, service_token: str, cloud_s3: str, cloud_key: dict[str, str]
) -> dict[str, str]:
    """The sync sender's side of the cloud (the Dagster daemon's cloud_sync_sensor drains
    the queue into the cloud instance): only the Dagster processes have it."""
    return {
        "KEYSTONE_CLOUD_API_URL": cfg.url(cfg.cloud_api_port),
        # Minted with the cloud's own key (devfile.service_token): the edge cannot make one.
        "KEYSTONE_CLOUD_SERVICE_TOKEN": service_token,
        "KEYSTONE_CLOUD_S3_ENDPOINT_URL": cloud_s3,
        "KEYSTONE_CLOUD_S3_ACCESS_KEY": cfg.s3_access_key,
        "KEYSTONE_CLOUD_S3_SECRET_KEY": cfg.s3_secret_key,
        **cloud_key,
        "KEYSTONE_CLOUD_BUCKET": CLOUD_BUCKET,
    }


def cloud_env(
    cfg: DevConfig, keys: DevKeys, cloud_s3: str, store_key: dict[str, str]
) -> dict[str, str]:
    return {
        **os.environ,
        "KEYSTONE_ROLE": "cloud",
        "KEYSTONE_DATABASE_URL": cfg.cloud_database_url,
        "KEYSTONE_S3_ENDPOINT_URL": cloud_s3,
        "KEYSTONE_S3_ACCESS_KEY": cfg.s3_access_key,
        "KEYSTONE_S3_SECRET_KEY": cfg.s3_secret_key,
        "KEYSTONE_PUBLIC_BASE_URL": cfg.url(cfg.cloud_api_port),
        "KEYSTONE_JWT_SECRET": keys.cloud,  # its own: verifies the edge's service token
        "KEYSTONE_CLOUD_BUCKET": CLOUD_BUCKET,
        "KEYSTONE_MAX_BODY_BYTES": str(8 * 1024 * 1024),
        **store_key,  # reads the cloud bucket only
    }


def apis(
    cfg: DevConfig, logs: Path, edge: dict[str, str], cloud: dict[str, str]
) -> list[ManagedProcess]:
    return [
        ManagedProcess(
            "api",
            [*KEYSTONE, "api", "--port", str(cfg.api_port), "--no-preflight"],
            edge,
            logs / "api.log",
            health_url=cfg.url(cfg.api_port) + "/healthz",
        ),
        ManagedProcess(
            "cloud-api",
            [*KEYSTONE, "api", "--port", str(cfg.cloud_api_port), "--no-preflight"],
            cloud,
            logs / "cloud-api.log",
            health_url=cfg.url(cfg.cloud_api_port) + "/healthz",
        ),
    ]


def dagster_home(cfg: DevConfig) -> dict[str, str]:
    """The Dagster instance's directory (written here) and database: environment lines."""
    home = cfg.state_dir / "dagster_home"
    mysql = _dagster_database_url(cfg.mysql_url) if cfg.mysql_url else None
    write_dagster_home(home, mysql)
    return {"DAGSTER_HOME": str(home), **({"DAGSTER_MYSQL_URL": mysql} if mysql else {})}


def dagster(
    cfg: DevConfig, logs: Path, env: dict[str, str], code_port: int
) -> list[ManagedProcess]:
    """The code server, then the webserver and the daemon that load the code location from
    it (dagster_home.write_workspace says why). `env`: the edge's, with the QA key, the sync
    sender's cloud side and dagster_home."""
    bin_dir = Path(sys.executable).parent
    workspace = str(write_workspace(Path(env["DAGSTER_HOME"]), code_port))
    return [
        ManagedProcess(
            "dagster-code-server",
            [
                str(bin_dir / "dagster"),
                "code-server",
                "start",
                "-h",
                "127.0.0.1",
                "-p",
                str(code_port),
                "-m",
                "keystone_pipelines.definitions",
                "--location-name",
                "keystone",
            ],
            env,
            logs / "dagster-code-server.log",
            cwd=REPO_ROOT,
        ),
        ManagedProcess(
            "dagster-webserver",
            [
                str(bin_dir / "dagster-webserver"),
                "-w",
                workspace,
                "-h",
                "127.0.0.1",
                "-p",
                str(cfg.dagster_port),
            ],  # fmt: skip
            env,
            logs / "dagster-webserver.log",
            health_url=cfg.url(cfg.dagster_port) + "/server_info",
            cwd=REPO_ROOT,
        ),
        ManagedProcess(
            "dagster-daemon",
            [str(bin_dir / "dagster-daemon"), "run", "-w", workspace],
            env,
            logs / "dagster-daemon.log",
            cwd=REPO_ROOT,
        ),
    ]


def simulator(cfg: DevConfig, logs: Path) -> ManagedProcess:
    cmd = [
        *KEYSTONE, "simulate",
        "--dev-file", str(cfg.state_dir / "dev.json"),
        "--fleet", FLEET,
        "--robots", str(cfg.robots),
        "--episodes", "0",
        "--seconds", str(cfg.seconds),
        "--interval", str(cfg.interval_s),
        "--defect-rate", str(cfg.defect_rate),
        "--no-progress",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return ManagedProcess("simulator", cmd, env, logs / "simulator.log")


def ensure_mysql_database(url: str) -> None:
    """--mysql names a database that may not exist yet: create it (utf8mb4)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    server = create_engine(parsed.set(database=""))
    try:
        with server.connect() as conn:
            conn.execute(
                text(f"CREATE DATABASE IF NOT EXISTS `{parsed.database}` CHARACTER SET utf8mb4")
            )
    finally:
        server.dispose()


def _dagster_database_url(keystone_url: str) -> str:
    """Dagster keeps its own database beside Keystone's: <name>_dagster, created if needed."""
    from sqlalchemy.engine import make_url

    url = make_url(keystone_url)
    dagster_url = url.set(drivername="mysql+mysqlconnector", database=f"{url.database}_dagster")
    ensure_mysql_database(url.set(database=dagster_url.database).render_as_string(False))
    return dagster_url.render_as_string(hide_password=False)
