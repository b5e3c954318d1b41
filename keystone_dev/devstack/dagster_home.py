"""The Dagster instance files that `keystone dev` writes (SQLite by default, or MySQL)."""

from __future__ import annotations

from collections.abc import Mapping
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
