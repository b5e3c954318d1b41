"""`keystone dev`: the whole edge on one machine, embedded default (SQLite + SeaweedFS).

Starts SeaweedFS, migrates the database, then the API, the Dagster webserver and the
Dagster daemon; prints their URLs; Ctrl-C stops every process it started. State lives
under .keystone/, so the next start continues where this one stopped.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from keystone_api.devstack.dagster_home import REPO_ROOT, write_dagster_home
from keystone_api.devstack.processes import ManagedProcess
from keystone_api.storage.seaweed import SeaweedServer


@dataclass
class DevConfig:
    state_dir: Path
    api_port: int = 8080
    dagster_port: int = 3000
    s3_port: int = 8333
    mysql_url: str | None = None
    s3_endpoint: str | None = None
    s3_access_key: str = "keystone"
    s3_secret_key: str = "keystone-secret"


@dataclass
class DevStack:
    config: DevConfig
    processes: list[ManagedProcess] = field(default_factory=list)
    seaweed: SeaweedServer | None = None
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return self.config.mysql_url or f"sqlite:///{self.config.state_dir / 'keystone.db'}"

    def start(self) -> None:
        cfg = self.config
        cfg.state_dir.mkdir(parents=True, exist_ok=True)
        s3_endpoint = cfg.s3_endpoint
        if s3_endpoint is None:
            self.seaweed = SeaweedServer(
                cfg.state_dir / "s3-edge", cfg.s3_access_key, cfg.s3_secret_key, s3_port=cfg.s3_port
            ).start()
            s3_endpoint = self.seaweed.endpoint_url
        api_url = f"http://127.0.0.1:{cfg.api_port}"
        env = {
            **os.environ,
            "KEYSTONE_DATABASE_URL": self.database_url,
            "KEYSTONE_S3_ENDPOINT_URL": s3_endpoint,
            "KEYSTONE_S3_ACCESS_KEY": cfg.s3_access_key,
            "KEYSTONE_S3_SECRET_KEY": cfg.s3_secret_key,
            "KEYSTONE_PUBLIC_BASE_URL": api_url,
            "KEYSTONE_DEV_MODE": "true",
            "KEYSTONE_API_URL": api_url,
        }
        from keystone_api.db import migrate

        migrate.upgrade(self.database_url)

        dagster_home = cfg.state_dir / "dagster_home"
        dagster_mysql = _dagster_database_url(cfg.mysql_url) if cfg.mysql_url else None
        write_dagster_home(dagster_home, dagster_mysql)
        dagster_env = {**env, "DAGSTER_HOME": str(dagster_home)}
        if dagster_mysql:
            dagster_env["DAGSTER_MYSQL_URL"] = dagster_mysql
        bin_dir = Path(sys.executable).parent
        logs = cfg.state_dir / "logs"
        workspace = str(REPO_ROOT / "workspace.yaml")
        self.processes = [
            ManagedProcess(
                "api",
                [
                    sys.executable,
                    "-m",
                    "keystone_api.cli.main",
                    "api",
                    "--port",
                    str(cfg.api_port),
                    "--no-preflight",
                ],
                env,
                logs / "api.log",
                health_url=api_url + "/healthz",
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
                ],
                dagster_env,
                logs / "dagster-webserver.log",
                health_url=f"http://127.0.0.1:{cfg.dagster_port}/server_info",
                cwd=REPO_ROOT,
            ),
            ManagedProcess(
                "dagster-daemon",
                [str(bin_dir / "dagster-daemon"), "run", "-w", workspace],
                dagster_env,
                logs / "dagster-daemon.log",
                cwd=REPO_ROOT,
            ),
        ]
        for proc in self.processes:
            proc.start()
        for proc in self.processes:
            proc.wait_healthy(timeout_s=90)
        self.urls = {
            "api": api_url,
            "api_docs": api_url + "/docs",
            "dagster": f"http://127.0.0.1:{cfg.dagster_port}",
            "s3": s3_endpoint,
        }
        (cfg.state_dir / "dev.json").write_text(json.dumps({"urls": self.urls}, indent=2))

    def watch(self) -> None:
        """Block until Ctrl-C or a child dies (then say which, and stop)."""
        while True:
            for proc in self.processes:
                if not proc.alive():
                    raise RuntimeError(f"{proc.name} stopped; see {proc.log_path}")
            time.sleep(1)

    def stop(self) -> None:
        for proc in reversed(self.processes):
            proc.stop()
        if self.seaweed is not None:
            self.seaweed.stop()


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
