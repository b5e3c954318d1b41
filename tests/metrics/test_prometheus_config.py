"""deploy/prometheus/prometheus.yml scrapes the edge as it now must: the bearer token from a
file, on /metrics, with the rules file beside it. Followed here as Prometheus would (its
authorization block read literally) against the live app, outside dev mode."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from tests.conftest import REPO_ROOT
from tests.support.settings_env import new_scrape_token, settings_env

CONFIG = REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml"


@pytest.fixture
def client(in_process_client: TestClient) -> TestClient:
    """Requests and answers against the database only: the app in-process, rolled back."""
    return in_process_client


def test_the_shipped_scrape_config_gets_in(client: httpx.Client, tmp_path: Path) -> None:
    doc = yaml.safe_load(CONFIG.read_text())
    for rules in doc["rule_files"]:
        assert (CONFIG.parent / rules).is_file(), rules
    (job,) = [j for j in doc["scrape_configs"] if j["job_name"] == "keystone-edge"]
    authorization = job["authorization"]
    assert authorization["type"] == "Bearer" and "credentials" not in authorization
    assert authorization["credentials_file"].startswith("/etc/prometheus/")

    token = new_scrape_token()
    secret = tmp_path / Path(authorization["credentials_file"]).name
    secret.write_text(token + "\n")  # Prometheus trims the file's trailing newline
    sent = f"{authorization['type']} {secret.read_text().strip()}"
    with settings_env(metrics_token=token, metrics_min_interval_s="0"):
        assert client.get(job["metrics_path"]).status_code == 401
        answer = client.get(job["metrics_path"], headers={"Authorization": sent})
        assert answer.status_code == 200, answer.text
        assert "keystone_sync_queue_depth" in answer.text
