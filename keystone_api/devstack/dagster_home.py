"""The Dagster instance files that `keystone dev` writes (SQLite by default, or MySQL)."""

from __future__ import annotations

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
