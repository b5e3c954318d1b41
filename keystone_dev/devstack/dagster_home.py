"""The Dagster instance files that `keystone dev` writes (SQLite by default, or MySQL)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]


def write_dagster_home(home: Path, mysql_url: str | None = None) -> Path:
    """Write dagster.yaml: the repo's MySQL one for --mysql, else the same with SQLite."""
    home.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    if mysql_url is None:
        config["storage"] = {"sqlite": {"base_dir": str(home / "storage")}}
    target = home / "dagster.yaml"
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return target


def prepare_instance(env: Mapping[str, str], log_path: Path) -> None:
    """Create or migrate the instance and clear the previous session's runs, in a child
    process (keystone_api never imports Dagster): see keystone_pipelines.dev_instance."""
    import subprocess
    import sys

    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        done = subprocess.run(
            [sys.executable, "-m", "keystone_pipelines.dev_instance"],
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            timeout=300,
        )
    if done.returncode != 0:
        raise RuntimeError(f"preparing the Dagster instance failed; see {log_path}")


def write_workspace(home: Path, port: int) -> Path:
    """The webserver's and the daemon's workspace: the one code server `keystone dev` runs.

    Not the repo's workspace.yaml (`python_module`): with it, the webserver and the daemon
    each start a code server of their own, and the daemon replaces its own at every
    workspace refresh (each minute), so its log showed a code server shutting down and the
    code location's import warnings every minute. A standalone server loads the code once
    (the UI's "Reload" loads it again), as production runs it."""
    home.mkdir(parents=True, exist_ok=True)
    workspace = {
        "load_from": [
            {"grpc_server": {"host": "127.0.0.1", "port": port, "location_name": "keystone"}}
        ]
    }
    target = home / "workspace.yaml"
    target.write_text(yaml.safe_dump(workspace, sort_keys=False))
    return target


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_code_server(port: int, alive: Callable[[], bool], timeout_s: float) -> None:
    """Until the code server answers (Dagster's own health check), so the webserver and
    the daemon find the code location loaded rather than failed."""
    import subprocess
    import sys
    import time

    check = [str(Path(sys.executable).with_name("dagster")), "api", "grpc-health-check"]
    deadline = time.monotonic() + timeout_s
    while True:
        if not alive():
            raise RuntimeError("the Dagster code server exited; see dagster-code-server.log")
        done = subprocess.run(
            [*check, "-h", "127.0.0.1", "-p", str(port)], capture_output=True, timeout=60
        )
        if done.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the Dagster code server did not answer in {timeout_s:.0f}s")
        time.sleep(1)
