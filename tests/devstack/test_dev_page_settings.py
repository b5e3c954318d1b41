"""What `keystone dev` tells the edge's processes for its pages: where the Dagster UI is
(the landing page links it) and, while its fleet simulator runs, the share of recordings
the simulator damages on purpose (the QA failure alert says so)."""

from __future__ import annotations

from pathlib import Path

import pytest

from keystone_api.settings import Settings
from keystone_dev.devstack.config import DevConfig, DevKeys
from keystone_dev.devstack.services import edge_env

KEYS = DevKeys(edge="e" * 48, cloud="c" * 48)


def _settings(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in env.items():
        if name.startswith("KEYSTONE_"):
            monkeypatch.setenv(name, value)
    return Settings()


def test_the_simulated_stack_names_dagster_and_its_defect_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = DevConfig(state_dir=tmp_path, dagster_port=3123, defect_rate=0.35)
    settings = _settings(edge_env(cfg, KEYS, "http://127.0.0.1:8333"), monkeypatch)
    assert settings.dagster_url == "http://127.0.0.1:3123"
    assert settings.simulated_defect_rate == 0.35


def test_without_the_simulator_no_failure_is_blamed_on_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KEYSTONE_SIMULATED_DEFECT_RATE", raising=False)
    cfg = DevConfig(state_dir=tmp_path, simulate=False)
    env = edge_env(cfg, KEYS, "http://127.0.0.1:8333")
    assert "KEYSTONE_SIMULATED_DEFECT_RATE" not in env
    assert _settings(env, monkeypatch).simulated_defect_rate is None
