"""Dagster and its integrations are one matching set (pip left alone picks 2021 releases
of dagster-mysql/dagster-aws that fail at import)."""

from __future__ import annotations

import importlib
from importlib.metadata import version


def test_dagster_packages_import_and_agree() -> None:
    for module in (
        "dagster",
        "dagster_webserver",
        "dagster_graphql",
        "dagster_mysql",
        "dagster_aws",
    ):
        importlib.import_module(module)
    core = version("dagster")
    assert core == "1.13.27"
    assert version("dagster-webserver") == core
    assert version("dagster-graphql") == core
    # Integrations are versioned 0.(minor+16).patch alongside the core 1.minor.patch.
    _, minor, patch = core.split(".")
    expected_lib = f"0.{int(minor) + 16}.{patch}"
    assert version("dagster-mysql") == expected_lib
    assert version("dagster-aws") == expected_lib
    import dagster_mysql

    assert dagster_mysql.__version__ == expected_lib
