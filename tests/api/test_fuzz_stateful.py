"""Schemathesis' stateful phase over the edge API: sequences of calls that follow the OpenAPI
links (keystone_api/openapi_links.py), so the ids one call answers feed the next (create an
organization, then its factory, its scenes...), as an admin tool token, on MariaDB. No
answer may be a server error.

The fuzzer is an admin that creates, edits, cancels, recalls and deletes what it finds, so
it gets an API process and a database of its own: the session's other tests never see it.
Bounded by the number of scenarios and steps, and by a time budget (about a minute of
fuzzing on 2 cores). tests/api/test_openapi.py fuzzes every operation one call at a time."""

from __future__ import annotations

import collections
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import settings
from hypothesis.errors import Flaky
from schemathesis.engine.errors import is_inconsistent_replay

from keystone_api.settings import get_settings
from tests.api.world import World, build_world
from tests.support import mysql
from tests.support.processes import keystone_api_process
from tests.support.tokens import recorded_token

SCENARIOS = 200
STEPS = 10
BUDGET_S = 75
# The object a path's `item_id` names, by the path's resource segment.
ITEMS = {
    "organizations": "organization_id",
    "factories": "factory_id",
    "robot-types": "robot_type_id",
    "scenes": "scene_id",
    "subscenes": "subscene_id",
    "skills": "skill_id",
    "sops": "sop_id",
    "robots": "robot_id",
    "data-collectors": "data_collector_id",
    "workstations": "workstation_id",
}


@pytest.fixture(scope="module")
def fuzz_api(
    s3_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, Path]]:
    """`keystone api` on its own migrated MariaDB database: (base URL, database URL, log)."""
    from keystone_api.db import migrate

    url = mysql.create_database(f"ks_fuzz_{os.environ.get('PYTEST_XDIST_WORKER', 'gw0')}")
    log = tmp_path_factory.mktemp("fuzz") / "api.log"
    try:
        migrate.upgrade(url)
        with keystone_api_process({"KEYSTONE_DATABASE_URL": url}, log) as base:
            yield base, url, log
    finally:
        mysql.drop_database(url)


def _seed(base: str, admin: str) -> dict[str, str]:
    """A factory with everything an order needs, and an order with its batches and tasks:
    a reference the fuzzer makes up is sent to one of these instead (see `_route`)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        w: World = build_world(client, admin=admin)
        for collector, station in zip(w.collectors, w.workstations, strict=True):
            w.login(collector["username"], station["id"])  # stations hand out tasks
        order = w.order(target=4)
        headers = {"Authorization": f"Bearer {admin}"}
        task = client.get("/api/v1/tasks", params={"order_id": order["id"]}, headers=headers)
        first = task.json()["items"][0]
    return {
        "organization_id": w.org_id,
        "factory_id": w.factory_id,
        "robot_type_id": w.robot_type_id,
        "scene_id": w.scene_id,
        "subscene_id": w.subscene_id,
        "skill_id": w.skill_id,
        "sop_id": w.sop_id,
        "robot_id": w.robots[0]["id"],
        "device_id": w.robots[0]["device_id"],
        "data_collector_id": w.collectors[0]["id"],
        "workstation_id": w.workstations[0]["id"],
        "order_id": order["id"],
        "batch_id": first["batch_id"],
        "task_id": first["id"],
    }


class _BudgetSpent(Exception):
    """Raised at the start of a scenario once the time budget is spent: the run ends there."""


def _ids(value: Any, into: set[str]) -> None:
    """Every id an answer holds (`id` and `*_id` fields, at any depth)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and (key == "id" or key.endswith("_id")):
                into.add(item)
            else:
                _ids(item, into)
    elif isinstance(value, list):
        for item in value:
            _ids(item, into)


def _route(case: Any, seeded: dict[str, str], known: set[str]) -> None:
    """Send a reference no answer ever held (one the fuzzer made up) to a seeded object of
    its kind, so that a scenario starting anywhere works on real rows: without it nearly
    every call stopped at a 404 before the code worth fuzzing. Ids from links are kept."""
    resource = case.path.split("/")[3] if case.path.count("/") >= 3 else ""
    for container in (case.path_parameters, case.query, case.body):
        if not isinstance(container, dict):
            continue
        for key, value in container.items():
            kind = ITEMS.get(resource) if key == "item_id" else key
            if kind in seeded and isinstance(value, str) and value not in known:
                container[key] = seeded[kind]


def _bound(case: Any) -> None:
    """Orders of at most 50 episodes. Creating the largest one (100,000 tasks) takes ~18 s
    and cancelling it is one state transition per task: a question of scale with its own
    measurements, not of server errors, and a run that met it spent its budget there."""
    target = case.body.get("target_episodes") if isinstance(case.body, dict) else None
    # A JSON 99999.0 is an integer to the API, so floats too (booleans are refused anyway).
    if isinstance(target, int | float) and not isinstance(target, bool) and target > 50:
        case.body["target_episodes"] = 50


def _follow_new_version(case: Any, answer: Any, seeded: dict[str, str]) -> None:
    """Editing a seeded SOP answers its new version (the old one is archived): route there."""
    kind = ITEMS.get(case.path.split("/")[3]) if case.method == "PATCH" else None
    item = (case.path_parameters or {}).get("item_id")
    if kind in seeded and item == seeded[kind] and isinstance(answer, dict):
        seeded[kind] = answer.get("id", item)


def test_stateful_fuzzing_finds_no_server_error(fuzz_api: tuple[str, str, Path]) -> None:
    base, database_url, log = fuzz_api

    def admin() -> str:
        return recorded_token(get_settings(), "admin", database_url=database_url)

    seeded = _seed(base, admin())
    known = set(seeded.values())
    # A server-sent event stream never ends: a request/response fuzzer can only time out on
    # it (tests/gateways/test_state_stream.py covers it).
    schema = schemathesis.openapi.from_url(base + "/openapi.json").exclude(
        path="/api/v1/device-state/stream"
    )
    # Only the API's own links: schemathesis' inferred ones (~3,700 transitions here, from
    # every answer holding an id to every operation taking one) drown them, and the
    # scenarios a short run affords rarely got past creating an organization.
    schema.config.phases.stateful.inference.algorithms = []
    answers: collections.Counter[tuple[str, int]] = collections.Counter()
    server_errors: dict[str, str] = {}
    scenarios = 0
    started = time.monotonic()

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            nonlocal scenarios
            if time.monotonic() - started > BUDGET_S:
                raise _BudgetSpent
            scenarios += 1
            # A token per scenario: a scenario may revoke tokens, even this one.
            self.auth = {"Authorization": f"Bearer {admin()}"}

        def before_call(self, case: Any) -> None:
            case.headers = {**(case.headers or {}), **self.auth}
            _route(case, seeded, known)
            _bound(case)

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            answers[(case.operation.label, response.status_code)] += 1
            if response.status_code < 300 and "json" in response.headers.get("content-type", ""):
                _ids(response.json(), known)
                _follow_new_version(case, response.json(), seeded)
            if response.status_code >= 500:
                where = f"{case.operation.label} -> {response.status_code}"
                server_errors.setdefault(where, case.as_curl_command())

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            # Server errors are collected above, not raised: the run goes on and finds all of
            # them, and no replay of a server whose state has moved on is needed to report one.
            pass

    while scenarios < SCENARIOS and time.monotonic() - started < BUDGET_S:
        # Hypothesis' simplest rule is the first by name, so most scenarios would start with
        # the same operation (GET /alerts/events); each run shuffles where they start.
        Workflow.rule_order_seed = random.randrange(2**32)
        try:
            Workflow.run(
                settings=settings(
                    Workflow.TestCase.settings,
                    max_examples=SCENARIOS - scenarios,
                    stateful_step_count=STEPS,
                    database=None,  # every run explores afresh; CI keeps no example database
                )
            )
        except Flaky as exc:
            # A real server's state moves on: a call that answered 201 answers 409 when an
            # equal one comes again, and Hypothesis, seeing the same choices lead elsewhere,
            # stops the run. Start another (schemathesis' own runner does the same).
            print(f"restarted after {scenarios} scenarios: {type(exc).__name__}")
        except AssertionError as exc:
            if not is_inconsistent_replay(exc):
                raise
        except _BudgetSpent:
            break
    elapsed = time.monotonic() - started
    succeeded = {label for (label, status), _ in answers.items() if status < 300}
    print(
        f"stateful fuzzing: {scenarios} scenarios, {sum(answers.values())} calls in "
        f"{elapsed:.0f} s; {len(succeeded)} operations answered 2xx"
    )
    if server_errors:
        # The server's tracebacks (not its access log) and a command for each failing call.
        print("\n".join(x for x in log.read_text().splitlines() if not x.startswith("INFO:")))
    assert not server_errors, "\n".join(f"{k}:\n  {v}" for k, v in server_errors.items())
    # The run got past validation into the workflow (71-76 of 137 operations in sample runs).
    assert len(succeeded) >= 40 and "GET /api/v1/tasks/{task_id}" in succeeded, answers
