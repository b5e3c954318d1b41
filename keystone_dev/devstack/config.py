"""What `keystone dev` runs with: ports, where state lives, the development secrets."""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# Development passwords: printed, and written to dev.json; never use them elsewhere.
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin-dev-password"
INSPECTOR_PASSWORD = "inspector-dev-password"
# The cloud's data reader: browses the episode catalog (cloud /catalog) in a browser.
CLOUD_READER, CLOUD_READER_PASSWORD = "reader", "reader-dev-password"
CLOUD_BUCKET = "cloud-episodes"
FLEET = "dev"


@dataclass
class DevConfig:
    state_dir: Path
    api_port: int = 8080
    cloud_api_port: int = 8081
    dagster_port: int = 3000
    s3_port: int = 8333
    cloud_s3_port: int = 8334
    mysql_url: str | None = None
    s3_endpoint: str | None = None
    s3_access_key: str = "keystone"
    s3_secret_key: str = "keystone-secret"
    # The fleet simulator
    simulate: bool = True
    robots: int = 4
    seconds: float = 4.0
    interval_s: float = 25.0
    defect_rate: float = 0.2

    def url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"

    @property
    def database_url(self) -> str:
        return self.mysql_url or f"sqlite:///{self.state_dir / 'keystone.db'}"

    @property
    def cloud_database_url(self) -> str:
        return f"sqlite:///{self.state_dir / 'cloud' / 'keystone-cloud.db'}"

    def ports_to_bind(self) -> dict[str, int]:
        ports = {
            "--api-port": self.api_port,
            "--cloud-api-port": self.cloud_api_port,
            "--dagster-port": self.dagster_port,
            "--cloud-s3-port": self.cloud_s3_port,
        }
        if self.s3_endpoint is None:
            ports["--s3-port"] = self.s3_port
        return ports


def check_ports(config: DevConfig) -> None:
    """Fail before starting anything when a port is taken (naming the option to change)."""
    for option, port in config.ports_to_bind().items():
        with socket.socket() as sock:
            # As the servers bind (connections of a previous run in TIME_WAIT are fine).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                raise RuntimeError(
                    f"port {port} is in use (another `keystone dev`?): free it or pass "
                    f"{option} with another port"
                ) from None


@dataclass(frozen=True)
class DevKeys:
    """The signing keys of the dev stack: the edge's and the cloud's own (an edge admin's
    token is no use at the cloud, as in production)."""

    edge: str
    cloud: str


def dev_keys(state_dir: Path) -> DevKeys:
    """Random signing keys per state directory, kept across starts (the tokens in dev.json
    stay valid, and no other installation's tokens are accepted). A state directory from
    before the cloud had its own key gets one added."""
    path = state_dir / "secrets.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    keys = {
        "jwt_secret": stored.get("jwt_secret") or secrets.token_urlsafe(48),
        "cloud_jwt_secret": stored.get("cloud_jwt_secret") or secrets.token_urlsafe(48),
    }
    if keys != stored:
        tmp = path.with_suffix(".json.tmp")
        # Created owner-only, never readable by others even for a moment.
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(json.dumps(keys))
        tmp.replace(path)
    return DevKeys(edge=str(keys["jwt_secret"]), cloud=str(keys["cloud_jwt_secret"]))


def partitions_start(state_dir: Path, now: datetime | None = None) -> str:
    """KEYSTONE_PARTITIONS_START of this dev stack: the hour of its first start (UTC), kept in
    the state directory so that a restart keeps the earlier hours' partitions. A state
    directory from before it was kept counts from its secrets.json (written at the first
    start), so the recordings it already holds keep their hours."""
    path = state_dir / "partitions_start"
    if path.exists():
        return path.read_text().strip()
    first = now or datetime.now(UTC)
    keys_file = state_dir / "secrets.json"
    if keys_file.exists():
        first = min(first, datetime.fromtimestamp(keys_file.stat().st_mtime, UTC))
    value = first.astimezone(UTC).strftime("%Y-%m-%dT%H:00")
    path.write_text(value + "\n")
    return value
