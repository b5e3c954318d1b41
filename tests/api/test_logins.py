"""Logins under attack: failed logins limited per account and per address (a locked login is
a 429 with Retry-After that says so and for how long, right password or not), the counts
shared through Redis between workers, and a bounded number of password checks at once (a
flood of bad logins neither grows the API's memory nor stalls its other requests).

Each test serves its own app: the login guard belongs to an app, and the suite's shared app
must not be locked for everyone else (every test client is 127.0.0.1)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx

from keystone_api.settings import get_settings
from tests.api.world import World
from tests.support.live import serve_app


@contextmanager
def login_app(**settings: Any) -> Iterator[httpx.Client]:
    """A new edge app with these settings (its own login guard), and a client for it."""
    from keystone_api.app import create_app
    from keystone_api.deps import settings_dep

    app = create_app()
    changed = get_settings().model_copy(update=settings)
    app.dependency_overrides[settings_dep] = lambda: changed
    with serve_app(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield client


def login(client: httpx.Client, username: str, password: str, **extra: Any) -> httpx.Response:
    body = {"username": username, "password": password, **extra}
    return client.post("/api/v1/auth/login", json=body)


def assert_locked(answer: httpx.Response, what: str) -> int:
    assert answer.status_code == 429, answer.text
    error = answer.json()["error"]
    assert error["code"] == "login_locked" and error["details"]["locked"] == what
    wait = int(answer.headers["Retry-After"])
    assert wait >= 1 and "are locked after too many failures" in error["message"]
    assert error["message"].endswith(f"try again in {wait} s")
    return wait


def test_sixty_wrong_passwords_then_the_right_one_is_refused(world: World) -> None:
    w = world
    w.user("operator", name=(name := f"op-{uuid.uuid4().hex[:8]}"))
    with login_app() as client:
        answers = [login(client, name, f"wrong-{i}").status_code for i in range(60)]
        assert answers[:5] == [401] * 5 and set(answers[5:]) == {429}
        wait = assert_locked(login(client, name, w.passwords[name]), "account")
        assert 1 <= wait <= 60  # the first tier: five a minute
        # Another case of the same name is the same account's lock.
        assert_locked(login(client, name.upper(), w.passwords[name]), "account")
        # Other accounts are still checked from this address (5 failures: under its limit).
        assert login(client, w.collectors[0]["username"], "password-x").status_code == 401


def test_the_lock_lifts_with_its_window_and_a_success_clears_the_failures(world: World) -> None:
    w = world
    w.user("inspector", name=(name := f"insp-{uuid.uuid4().hex[:8]}"))
    with login_app(login_failures_per_user="2/2second") as client:
        assert login(client, name, "wrong").status_code == 401
        assert login(client, name, w.passwords[name]).status_code == 200  # clears the count
        assert login(client, name, "wrong").status_code == 401
        assert login(client, name, "wrong").status_code == 401
        wait = assert_locked(login(client, name, w.passwords[name]), "account")
        assert wait <= 3
        time.sleep(wait + 0.2)
        assert login(client, name, w.passwords[name]).status_code == 200


def test_an_address_guessing_many_accounts_is_locked_for_all(world: World) -> None:
    w = world
    with login_app(login_failures_per_address="4/minute") as client:
        for i in range(4):
            assert login(client, f"nobody-{i}-{uuid.uuid4().hex[:6]}", "x").status_code == 401
        # Even the right password of a real account, from this address.
        collector = w.collectors[0]["username"]
        assert_locked(login(client, collector, w.passwords[collector]), "address")


def test_a_collectors_workstation_login_is_throttled_the_same(world: World) -> None:
    w = world
    collector, station = w.collectors[0]["username"], w.workstations[0]["id"]
    with login_app() as client:
        for _ in range(5):
            answer = login(client, collector, "wrong", workstation_id=station)
            assert answer.status_code == 401
        right = login(client, collector, w.passwords[collector], workstation_id=station)
        assert_locked(right, "account")


def test_failures_are_counted_across_workers_in_redis(world: World) -> None:
    """Two API workers (two apps) sharing the counts through the real Redis server."""
    w = world
    w.user("operator", name=(name := f"op-{uuid.uuid4().hex[:8]}"))
    shared = {"rate_limit_storage": "redis://127.0.0.1:6379"}
    with login_app(**shared) as first, login_app(**shared) as second:
        for client in (first, second, first, second, first):
            assert login(client, name, "wrong").status_code == 401
        assert_locked(login(second, name, w.passwords[name]), "account")
        assert_locked(login(first, name, w.passwords[name]), "account")


def test_password_checks_beyond_the_queue_are_refused_at_once(live_api: str) -> None:
    """One check at a time, two may wait: of twelve at once, some are turned away with a
    429 straight away (no thread, no Argon2 memory), none fails otherwise."""
    limits = {"login_concurrency": 1, "login_max_waiting": 2}
    with login_app(**limits, login_failures_per_address="1000/minute") as client:
        names = [f"flood-{i}-{uuid.uuid4().hex[:6]}" for i in range(12)]
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(lambda n: login(client, n, "wrong"), names))
    codes = sorted(a.status_code for a in answers)
    assert set(codes) == {401, 429} and codes.count(401) >= 3, codes
    busy = next(a for a in answers if a.status_code == 429)
    assert busy.json()["error"]["code"] == "rate_limited" and busy.headers["Retry-After"] == "1"


def test_with_its_counts_unreachable_a_login_is_refused_not_let_through(world: World) -> None:
    w = world
    collector = w.collectors[0]["username"]
    with login_app(rate_limit_storage="redis://127.0.0.1:1") as client:
        answer = login(client, collector, w.passwords[collector])
    assert answer.status_code == 503 and "rate-limit storage" in answer.json()["error"]["message"]
