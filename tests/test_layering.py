"""Which package may import which (DESIGN.md, issue 20): the system of record
(`keystone_api`) and the Dagster code location (`keystone_pipelines`) never import the dev
tooling (`keystone_dev`: the command line, the dev stack, the SeaweedFS launcher) nor the
simulator (`keystone_sim`); the `keystone` command's production sub-commands load neither
the dev stack nor the simulator, which its `dev` and `simulate` commands import when run.

Read from the source (every import, lazy ones too) and checked by importing the real entry
points in a fresh interpreter that refuses the forbidden packages."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.support.import_graph import REPO_ROOT, modules
from tests.support.import_graph import imports as imports_of

DEV_TOOLING = ("keystone_dev", "keystone_sim")
DEV_STACK = ("keystone_dev.devstack", "keystone_dev.seaweed", "keystone_sim")
# The commands that start the dev stack or the simulator: they import it when they run.
DEV_COMMANDS = {"keystone_dev.cli.dev_cmd", "keystone_dev.cli.simulate_cmd"}


def _within(target: str, packages: tuple[str, ...]) -> bool:
    return any(target == p or target.startswith(p + ".") for p in packages)


def test_production_packages_never_import_the_dev_tooling() -> None:
    known = modules("keystone_api", "keystone_pipelines")
    assert len(known) > 100, "the packages were not found"
    found = [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for name, path in known.items()
        for imp in imports_of(name, path, known)
        if _within(imp.target, DEV_TOOLING)
    ]
    assert found == []


def test_the_command_line_loads_the_dev_stack_only_in_its_dev_commands() -> None:
    known = modules("keystone_dev")
    found = [
        f"{imp.module}:{imp.line} imports {imp.target} ({imp.when})"
        for name, path in known.items()
        if name.startswith("keystone_dev.cli")
        for imp in imports_of(name, path, known)
        if _within(imp.target, DEV_STACK) and (name not in DEV_COMMANDS or imp.when == "load")
    ]
    assert found == []


# Refuses the named packages at import; then builds what production runs.
GUARD = """
import sys
from importlib.abc import MetaPathFinder

FORBIDDEN = {forbidden!r}


class Refuse(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
            raise ImportError(f"production code imported {{name}}")
        return None


sys.meta_path.insert(0, Refuse())
"""

PRODUCTION_ENTRY_POINTS = """
import os

from keystone_api.settings import get_settings

# The app in each shape production serves: `keystone api` (gateways on, or off beside
# `keystone gateway`), `keystone gateway` (gateways only), and the cloud role.
for role, gateways in [("edge", "on"), ("edge", "off"), ("edge", "only"), ("cloud", "on")]:
    os.environ["KEYSTONE_ROLE"], os.environ["KEYSTONE_GATEWAYS"] = role, gateways
    get_settings.cache_clear()
    from keystone_api.app import create_app

    create_app()

import keystone_api.gateways.router  # the gateways' sockets and their lifespan
import keystone_pipelines.definitions  # the Dagster code location
"""

PRODUCTION_COMMANDS = """
from keystone_dev.cli.main import main

for command in ["api", "gateway", "check", "db", "token", "sync", "storage", "qa"]:
    sys.argv = ["keystone", command, "--help"]
    try:
        main()
    except SystemExit as exc:
        assert exc.code == 0, (command, exc.code)
"""

CHECK_MODULES = """
loaded = sorted(m for m in sys.modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))
assert not loaded, loaded
print("ok")
"""


def _run_guarded(forbidden: tuple[str, ...], body: str) -> subprocess.CompletedProcess[str]:
    code = GUARD.format(forbidden=forbidden) + textwrap.dedent(body) + CHECK_MODULES
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=240
    )


@pytest.mark.parametrize(
    ("forbidden", "body"),
    [(DEV_TOOLING, PRODUCTION_ENTRY_POINTS), (DEV_STACK, PRODUCTION_COMMANDS)],
    ids=["app-gateway-dagster", "keystone-command"],
)
def test_production_entry_points_run_without_the_dev_tooling(
    forbidden: tuple[str, ...], body: str
) -> None:
    result = _run_guarded(forbidden, body)
    assert result.returncode == 0 and result.stdout.endswith("ok\n"), result.stderr[-3000:]


def test_the_guard_refuses_what_it_names() -> None:
    # Without this, a guard that never fires would pass every test above.
    result = _run_guarded(DEV_STACK, "import keystone_dev.seaweed\n")
    assert result.returncode != 0 and "production code imported keystone_dev.seaweed" in (
        result.stderr
    )
