"""`keystone dev`: the whole edge and its cloud on one machine, embedded default.

Two SeaweedFS servers (the edge's object store and the cloud's), the API in its edge role
and a second instance in its cloud role (own SQLite database and bucket), the Dagster
webserver and daemon (whose sync sensor drains approved episodes into the cloud), a seeded
demo world, and the fleet simulator. State lives under the state directory (.keystone/),
so the next start continues where this one stopped.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from keystone_api.devstack import devfile
from keystone_api.devstack.config import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    CLOUD_BUCKET,
    FLEET,
    DevConfig,
    check_ports,
    jwt_secret,
)
from keystone_api.devstack.dagster_home import REPO_ROOT, prepare_instance, write_dagster_home
from keystone_api.devstack.processes import ManagedProcess, stop_all, wait_healthy
from keystone_api.devstack.recovery import release_qa_claims
from keystone_api.devstack.seed import DemoWorld
from keystone_api.storage.seaweed import SeaweedServer

HEALTH_TIMEOUT_S = 120


@dataclass
class DevStack:
    config: DevConfig
    services: list[ManagedProcess] = field(default_factory=list)
    stores: list[ManagedProcess] = field(default_factory=list)
    simulator: ManagedProcess | None = None
    urls: dict[str, str] = field(default_factory=dict)
    world: DemoWorld | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def logs(self) -> Path:
        return self.config.state_dir / "logs"

    def start(self) -> None:
        cfg = self.config
        cfg.state_dir.mkdir(parents=True, exist_ok=True)
        check_ports(cfg)
        self.secret = jwt_secret(cfg.state_dir)
        edge_s3, cloud_s3 = self._start_stores()
        from keystone_api.db import migrate

        migrate.upgrade(cfg.database_url)
        migrate.upgrade(cfg.cloud_database_url)
        release_qa_claims(cfg.database_url)
        robot_type_id, robot_type = self._seed_database(edge_s3)
        self._ensure_cloud_bucket(cloud_s3)
        self.services = self._services(edge_s3, cloud_s3)
        apis, dagster = self.services[:2], self.services[2:]
        for proc in apis:
            proc.start()
        # While the APIs start: the Dagster instance, before its webserver and daemon.
        prepare_instance(dagster[0].env, self.logs / "dagster-instance.log")
        for proc in dagster:
            proc.start()
        wait_healthy(self.services, HEALTH_TIMEOUT_S)
        self.world, self.tokens = devfile.seed_and_mint(cfg, self.secret, robot_type_id, robot_type)
        self.urls = devfile.urls(cfg, edge_s3, cloud_s3, self.tokens["display"])
        devfile.write(cfg, self.urls, self.tokens, self.world, edge_s3, cloud_s3)
        if cfg.simulate:
            self.simulator = self._simulator()
            self.simulator.start()

    def _start_stores(self) -> tuple[str, str]:
        """Both SeaweedFS servers at once (each takes a few seconds to be ready)."""
        cfg = self.config
        servers: dict[str, SeaweedServer] = {}
        errors: list[BaseException] = []

        def start(name: str, port: int) -> None:
            server = SeaweedServer(
                cfg.state_dir / name, cfg.s3_access_key, cfg.s3_secret_key, s3_port=port
            )
            servers[name] = server
            try:
                server.start()
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                errors.append(exc)

        wanted = {"s3-cloud": cfg.cloud_s3_port}
        if cfg.s3_endpoint is None:
            wanted["s3-edge"] = cfg.s3_port
        threads = [threading.Thread(target=start, args=item) for item in wanted.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for name, server in servers.items():
            if server.process is not None:
                assert server.log_path is not None
                self.stores.append(ManagedProcess(name, [], {}, server.log_path, None, None))
                self.stores[-1].process = server.process
        if errors:
            raise errors[0]
        edge = cfg.s3_endpoint or servers["s3-edge"].endpoint_url
        return edge, servers["s3-cloud"].endpoint_url

    def _seed_database(self, edge_s3: str) -> tuple[str, str]:
        from pydantic import SecretStr
        from sqlalchemy.orm import Session

        from keystone_api.db.engine import make_engine
        from keystone_api.devstack.seed import seed_robot_type
        from keystone_api.settings import Settings

        cfg = self.config
        settings = Settings(
            database_url=cfg.database_url,
            s3_endpoint_url=edge_s3,
            s3_access_key=cfg.s3_access_key,
            s3_secret_key=SecretStr(cfg.s3_secret_key),
        )
        engine = make_engine(cfg.database_url)
        try:
            with Session(engine) as session, session.begin():
                return seed_robot_type(session, settings)
        finally:
            engine.dispose()

    def _ensure_cloud_bucket(self, cloud_s3: str) -> None:
        from keystone_api.storage.s3 import ensure_bucket, make_s3_client

        cfg = self.config
        client = make_s3_client(cloud_s3, cfg.s3_access_key, cfg.s3_secret_key)
        ensure_bucket(client, CLOUD_BUCKET)

    def _edge_env(self, edge_s3: str, cloud_s3: str) -> dict[str, str]:
        cfg = self.config
        api_url = cfg.url(cfg.api_port)
        return {
            **os.environ,
            "KEYSTONE_ROLE": "edge",
            "KEYSTONE_DATABASE_URL": cfg.database_url,
            "KEYSTONE_S3_ENDPOINT_URL": edge_s3,
            "KEYSTONE_S3_ACCESS_KEY": cfg.s3_access_key,
            "KEYSTONE_S3_SECRET_KEY": cfg.s3_secret_key,
            "KEYSTONE_PUBLIC_BASE_URL": api_url,
            "KEYSTONE_DEV_MODE": "true",
            "KEYSTONE_JWT_SECRET": self.secret,
            "KEYSTONE_BOOTSTRAP_ADMIN_USERNAME": ADMIN_USERNAME,
            "KEYSTONE_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "KEYSTONE_SYNC_MODE": "auto",
            # The Dagster daemon's cloud_sync_sensor drains the queue into the cloud side.
            "KEYSTONE_CLOUD_API_URL": cfg.url(cfg.cloud_api_port),
            "KEYSTONE_CLOUD_SERVICE_TOKEN": devfile.service_token(self.secret),
            "KEYSTONE_CLOUD_S3_ENDPOINT_URL": cloud_s3,
            "KEYSTONE_CLOUD_S3_ACCESS_KEY": cfg.s3_access_key,
            "KEYSTONE_CLOUD_S3_SECRET_KEY": cfg.s3_secret_key,
            "KEYSTONE_CLOUD_BUCKET": CLOUD_BUCKET,
        }

    def _services(self, edge_s3: str, cloud_s3: str) -> list[ManagedProcess]:
        cfg = self.config
        env = self._edge_env(edge_s3, cloud_s3)
        cloud_env = {
            **os.environ,
            "KEYSTONE_ROLE": "cloud",
            "KEYSTONE_DATABASE_URL": cfg.cloud_database_url,
            "KEYSTONE_S3_ENDPOINT_URL": cloud_s3,
            "KEYSTONE_S3_ACCESS_KEY": cfg.s3_access_key,
            "KEYSTONE_S3_SECRET_KEY": cfg.s3_secret_key,
            "KEYSTONE_PUBLIC_BASE_URL": cfg.url(cfg.cloud_api_port),
            "KEYSTONE_JWT_SECRET": self.secret,
            "KEYSTONE_CLOUD_BUCKET": CLOUD_BUCKET,
            "KEYSTONE_MAX_BODY_BYTES": str(8 * 1024 * 1024),
        }
        dagster_home = cfg.state_dir / "dagster_home"
        dagster_mysql = _dagster_database_url(cfg.mysql_url) if cfg.mysql_url else None
        write_dagster_home(dagster_home, dagster_mysql)
        dagster_env = {**env, "DAGSTER_HOME": str(dagster_home)}
        if dagster_mysql:
            dagster_env["DAGSTER_MYSQL_URL"] = dagster_mysql
        bin_dir = Path(sys.executable).parent
        workspace = str(REPO_ROOT / "workspace.yaml")
        keystone = [sys.executable, "-m", "keystone_api.cli.main"]
        dagster_ui = cfg.url(cfg.dagster_port)
        return [
            ManagedProcess(
                "api",
                [*keystone, "api", "--port", str(cfg.api_port), "--no-preflight"],
                env,
                self.logs / "api.log",
                health_url=cfg.url(cfg.api_port) + "/healthz",
            ),
            ManagedProcess(
                "cloud-api",
                [*keystone, "api", "--port", str(cfg.cloud_api_port), "--no-preflight"],
                cloud_env,
                self.logs / "cloud-api.log",
                health_url=cfg.url(cfg.cloud_api_port) + "/healthz",
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
                dagster_env,
                self.logs / "dagster-webserver.log",
                health_url=dagster_ui + "/server_info",
                cwd=REPO_ROOT,
            ),
            ManagedProcess(
                "dagster-daemon",
                [str(bin_dir / "dagster-daemon"), "run", "-w", workspace],
                dagster_env,
                self.logs / "dagster-daemon.log",
                cwd=REPO_ROOT,
            ),
        ]

    def _simulator(self) -> ManagedProcess:
        cfg = self.config
        cmd = [
            sys.executable, "-m", "keystone_api.cli.main", "simulate",
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
        return ManagedProcess("simulator", cmd, env, self.logs / "simulator.log")

    def failed(self) -> list[ManagedProcess]:
        """Essential processes that stopped (the simulator is not essential)."""
        return [p for p in [*self.stores, *self.services] if not p.alive()]

    def stop(self) -> None:
        # The simulator first (it gives unfinished tasks back through the API), then the
        # servers, then the object stores they write to.
        if self.simulator is not None:
            stop_all([self.simulator], timeout_s=10)
        stop_all(self.services, timeout_s=20)
        stop_all(self.stores, timeout_s=20)


def _dagster_database_url(keystone_url: str) -> str:
    """Dagster keeps its own database beside Keystone's: <name>_dagster, created if needed."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(keystone_url)
    name = f"{url.database}_dagster"
    server = create_engine(url.set(database=""))
    with server.connect() as conn:
        conn.execute(text(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4"))
    server.dispose()
    return url.set(drivername="mysql+mysqlconnector", database=name).render_as_string(
        hide_password=False
    )
