"""deploy/prometheus/keystone-rules.yml: valid YAML in Prometheus' rule-file shape, the same
alerts, severities and thresholds as keystone_api.alerts.rules, and only metric names that
/metrics exposes. (promtool is not installed in CI, so PromQL names are found by parsing:
strings, label matchers and grouping clauses are removed, functions and keywords skipped.)"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from keystone_api.alerts.rules import RULE_NAMES, THRESHOLDS
from keystone_api.metrics.collector import metric_names
from tests.api.world import auth, tool_token
from tests.conftest import REPO_ROOT

RULES_FILE = REPO_ROOT / "deploy" / "prometheus" / "keystone-rules.yml"
KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
    "and", "or", "unless", "inf", "nan",
}  # fmt: skip
SEVERITIES = {
    "UploadQueueHigh": "warning",
    "QaFailureRateHigh": "warning",
    "NoUploads": "critical",
    "SyncQueueHigh": "warning",
    "PipelineRunFailed": "warning",
}


@pytest.fixture
def client(in_process_client: TestClient) -> TestClient:
    """Requests and answers against the database only: the app in-process, rolled back."""
    return in_process_client


def rules() -> dict[str, dict[str, Any]]:
    document = yaml.safe_load(RULES_FILE.read_text())
    assert set(document) == {"groups"}
    found: dict[str, dict[str, Any]] = {}
    for group in document["groups"]:
        assert group["name"] and group["rules"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
            assert isinstance(rule["expr"], str) and rule["expr"].strip()
            assert rule["alert"] not in found, "alert names are unique"
            found[rule["alert"]] = rule
    return found


def metric_names_in(expr: str) -> set[str]:
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range selectors
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
        name, rest = match.group(), expr[match.end() :].lstrip()
        if rest.startswith("(") or name.lower() in KEYWORDS:
            continue  # a function or aggregation, or a keyword
        if re.fullmatch(r"\d+[smhdwy]", name):
            continue
        names.add(name)
    return names


def test_the_parser_finds_metric_names() -> None:
    expr = 'max by (factory, robot) (rate(a_total{x="y"}[5m])) > 5 and on (factory) b_c >= 2'
    assert metric_names_in(expr) == {"a_total", "b_c"}


def test_rules_file_has_the_apps_alerts_with_their_thresholds() -> None:
    found = rules()
    assert set(found) == {*RULE_NAMES, "PipelineRunFailed"}
    for name, rule in found.items():
        assert rule["labels"]["severity"] == SEVERITIES[name], name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
    expr = {name: " ".join(rule["expr"].split()) for name, rule in found.items()}
    assert f"> {THRESHOLDS.upload_queue_files}" in expr["UploadQueueHigh"]
    assert f"> {THRESHOLDS.qa_failure_rate:.2f}" in expr["QaFailureRateHigh"]
    assert f">= {THRESHOLDS.qa_min_assessed}" in expr["QaFailureRateHigh"]
    assert f"> {THRESHOLDS.no_upload_s:.0f}" in expr["NoUploads"]
    assert f"> {THRESHOLDS.sync_queue}" in expr["SyncQueueHigh"]


def test_rules_reference_only_metrics_that_metrics_exposes(client: httpx.Client) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    used = set().union(*(metric_names_in(r["expr"]) for r in rules().values()))
    assert used and used <= metric_names(), used - metric_names()
    text = client.get("/metrics", headers=auth(tool_token("admin"))).text  # closed outside dev
    scraped = {f.name for f in text_string_to_metric_families(text)}
    assert used <= scraped, used - scraped
