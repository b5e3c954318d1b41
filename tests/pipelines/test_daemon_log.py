"""The Dagster daemon's log under `keystone dev` says what happens, not the same warning or
code-server restart every minute: the daemon loads the code location from the standalone
code server the dev stack starts (its workspace refresh, every minute, then starts no new
server), and loading the code location warns nothing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from keystone_dev.devstack import services
from keystone_dev.devstack.config import DevConfig
from keystone_dev.devstack.dagster_home import free_port, wait_code_server, write_workspace
from keystone_dev.devstack.processes import stop_all
from tests.conftest import REPO_ROOT
from tests.support.dagster_leftovers import cancel_leftovers

# Dagster's daemon refreshes its workspace every 60 s (dagster._daemon.controller).
PAST_A_REFRESH_S = 80


def test_loading_the_code_location_warns_nothing() -> None:
    """In a fresh interpreter (each code server and run worker loads it so): every warning
    Dagster raises while the definitions load and resolve is an error here."""
    code = textwrap.dedent(
        """
        import warnings
        warnings.simplefilter("error")
        from keystone_pipelines.definitions import defs
        defs.get_repository_def()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_dev_workspace_is_the_code_server(tmp_path: Path) -> None:
    written = yaml.safe_load(write_workspace(tmp_path, 4321).read_text())
    assert written == {
        "load_from": [
            {"grpc_server": {"host": "127.0.0.1", "port": 4321, "location_name": "keystone"}}
        ]
    }


@pytest.mark.slow  # the daemon must outlive one workspace refresh
@pytest.mark.timeout(400)
def test_the_daemon_repeats_nothing_across_a_workspace_refresh(
    tmp_path: Path, dagster_home: Path, keystone_resource, dagster_instance
) -> None:
    """The code server and the daemon as `keystone dev` starts them (services.dagster), on
    the test instance (a copy of its dagster_home: the dev stack writes its workspace there)."""
    cancel_leftovers(dagster_instance)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(dagster_home / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    port = free_port()
    logs = tmp_path / "logs"
    code_server, _webserver, daemon = services.dagster(DevConfig(tmp_path), logs, env, port)
    try:
        code_server.start()
        wait_code_server(port, code_server.alive, 180)
        daemon.start()
        time.sleep(PAST_A_REFRESH_S)  # not a speed expectation: the refresh must happen
        assert daemon.alive(), (logs / "dagster-daemon.log").read_text()[-3000:]
    finally:
        stop_all([daemon, code_server])
    text = "".join(p.read_text() for p in sorted(logs.glob("*.log")))
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert "No heartbeat received" not in text
    warnings = [
        line
        for line in text.splitlines()
        if ("WARNING" in line or "Warning:" in line)
        # Once, when the daemon first sees the instance (its run-status cursor).
        and "No cursor for event type" not in line
    ]
    # A warning about the data (a refused recording other tests left in the store) may be
    # said once; none is said again at each tick or refresh.
    said = Counter(re.sub(r"^\S+ \S+ \S+ - ", "", line) for line in warnings)
    assert [w for w, n in said.items() if n > 1] == []
