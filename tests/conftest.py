"""Fixtures on real services: MariaDB (one database per session and xdist worker, each
test in a rolled-back SAVEPOINT transaction) and SeaweedFS (a real S3 server).

A test that needs a server, a browser or a Dagster instance is marked slow here, by the
fixtures it uses (HEAVY_FIXTURES), so `pytest -m "not slow"` is a quick run and new tests are
classified without anyone remembering to. Environment variables set here are undone when
the session ends: other plugins and the next session in this process see what they saw."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.support import mysql
from tests.support.in_process import rolled_back

REPO_ROOT = Path(__file__).resolve().parents[1]
# The suite's signing key, set before any test module is imported: modules that import the
# Dagster code location (keystone_pipelines.definitions) check it at import, as Dagster does.
_IMPORT_ENV = pytest.MonkeyPatch()
if "KEYSTONE_JWT_SECRET" not in os.environ:
    _IMPORT_ENV.setenv("KEYSTONE_JWT_SECRET", "test-secret-" + "x" * 40)
# Its first hourly partition (required outside dev mode): yesterday, so that the sensor's walk
# over hours that ended empty is short and every hour a test lands in is a partition.
if "KEYSTONE_PARTITIONS_START" not in os.environ:
    _yesterday = datetime.now(UTC).date() - timedelta(days=1)
    _IMPORT_ENV.setenv("KEYSTONE_PARTITIONS_START", _yesterday.isoformat())

# What starts a server, a browser or an instance of its own (seconds each, and what the tests
# on them do is slow too). A test needing one, directly or through another fixture (the
# robots' gateway, the sync tests' cloud and the dev stack's app all stand on s3_server), is
# slow. Tests slow for other reasons (subprocesses, long waits) carry pytest.mark.slow.
HEAVY_FIXTURES = frozenset(
    {
        "s3_server",  # SeaweedFS
        "live_api",  # the edge app on uvicorn
        "dagster_home",  # a Dagster instance on MariaDB
        "browser",  # headless Chromium
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HEAVY_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def pytest_unconfigure() -> None:
    _IMPORT_ENV.undo()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[str]:
    """A fresh MariaDB database migrated with `alembic upgrade head`."""
    from keystone_api.db import migrate

    mysql.require_server()
    url = mysql.create_database(f"ks_test_{_worker()}")
    migrate.upgrade(url)
    yield url
    mysql.drop_database(url)


@pytest.fixture(scope="session", autouse=True)
def _keystone_env(mysql_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point the app's settings at the test database for the whole session."""
    from keystone_api.db import engine as engine_mod
    from keystone_api.settings import get_settings

    with pytest.MonkeyPatch.context() as env:
        env.setenv("KEYSTONE_DATABASE_URL", mysql_url)
        # Every client of the suite comes from 127.0.0.1, and many tests are refused on
        # purpose: the per-address refusal limit would soon answer them all 429. Its own tests
        # (tests/gateways/test_door_throttle.py) run an app with the production rate.
        _set_unless_set(env, "KEYSTONE_DOOR_REFUSAL_RATE", "100000/minute")
        # Likewise failed logins per address (the fuzzer alone fails a few); the login tests
        # (tests/api/test_logins.py) serve apps with the limits they test.
        _set_unless_set(env, "KEYSTONE_LOGIN_FAILURES_PER_ADDRESS", "100000/minute")
        # No spot checks unless a test asks for them (a robot type's spot_check_share): a
        # sampled episode waits for an inspector before sync, and sampling is by episode id,
        # so 2 % of any test's approved episodes would wait at random.
        _set_unless_set(env, "KEYSTONE_SPOT_CHECK_SHARE", "0")
        get_settings.cache_clear()
        engine_mod.get_engine.cache_clear()
        engine_mod.get_sessionmaker.cache_clear()
        yield
        engine_mod.get_engine().dispose()
    get_settings.cache_clear()


def _set_unless_set(env: pytest.MonkeyPatch, name: str, value: str) -> None:
    """A default the person running the suite may override from their shell."""
    if name not in os.environ:
        env.setenv(name, value)


@pytest.fixture(scope="session")
def engine(mysql_url: str) -> Iterator[Engine]:
    from keystone_api.db.engine import make_engine

    eng = make_engine(mysql_url)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test; the code under
    test may commit freely (its commits release SAVEPOINTs of the outer transaction)."""
    with rolled_back(engine) as connection:
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            session.close()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:  # noqa: F821
    """A real S3 server (SeaweedFS `weed mini`) on free loopback ports."""
    from keystone_api.settings import get_settings
    from keystone_api.storage import s3 as s3_mod
    from keystone_dev.seaweed import SeaweedServer

    server = SeaweedServer(Path(tmp_path_factory.mktemp("seaweed"))).start()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KEYSTONE_S3_ENDPOINT_URL", server.endpoint_url)
        env.setenv("KEYSTONE_S3_ACCESS_KEY", server.access_key)
        env.setenv("KEYSTONE_S3_SECRET_KEY", server.secret_key)
        get_settings.cache_clear()
        s3_mod.get_s3_client.cache_clear()
        yield server
        server.stop()
    get_settings.cache_clear()
    s3_mod.get_s3_client.cache_clear()


@pytest.fixture
def s3(s3_server):  # type: ignore[no-untyped-def]
    from keystone_api.storage.s3 import make_s3_client

    return make_s3_client(s3_server.endpoint_url, s3_server.access_key, s3_server.secret_key)


@pytest.fixture(scope="session")
def dagster_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A Dagster instance on MariaDB (its own database), configured by the repo's dagster.yaml."""
    import shutil

    url = mysql.create_database(f"ks_dagster_{_worker()}")
    home = Path(tmp_path_factory.mktemp("dagster_home"))
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAGSTER_HOME", str(home))
        env.setenv("DAGSTER_MYSQL_URL", mysql.dagster_url(url))
        yield home
    mysql.drop_database(url)


@pytest.fixture(scope="session")
def live_api(s3_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The edge app on uvicorn over real HTTP, on the session's MariaDB and SeaweedFS."""
    from keystone_api.app import create_app
    from tests.support.live import serve_app

    with serve_app(create_app()) as base:
        yield base


@pytest.fixture
def client(live_api: str) -> Iterator[httpx.Client]:  # noqa: F821
    """A client of the live server. A module whose tests need no live server imports
    tests.support.in_process's `client` instead (in-process, each test rolled back)."""
    import httpx

    with httpx.Client(base_url=live_api, timeout=30) as c:
        yield c


@pytest.fixture
def in_process_client(engine: Engine) -> Iterator[TestClient]:  # noqa: F821
    """The edge app called in-process, every session it opens in one transaction rolled back
    after the test (tests/support/in_process.py). Answers come as the live client gets
    them (redirects not followed); a server error is raised here, with its traceback."""
    from fastapi.testclient import TestClient

    from tests.support.in_process import app_sessions_on, edge_app

    with rolled_back(engine) as connection, app_sessions_on(connection):
        yield TestClient(edge_app(), follow_redirects=False)


@pytest.fixture
def world(client):  # type: ignore[no-untyped-def]
    from tests.api.world import build_world

    return build_world(client)


@pytest.fixture
def keystone_resource(s3_server, mysql_url):  # type: ignore[no-untyped-def]
    """The Dagster resource, on the same database and object store as the API."""
    from keystone_pipelines.resources import KeystoneResource

    return KeystoneResource(
        database_url=mysql_url,
        s3_endpoint_url=s3_server.endpoint_url,
        s3_access_key=s3_server.access_key,
        s3_secret_key=s3_server.secret_key,
        qa_workers=4,
        qa_max_wait_s=0,  # ask for a run at once, not in batches
    )


@pytest.fixture
def dagster_instance(dagster_home):  # type: ignore[no-untyped-def]
    import dagster as dg

    instance = dg.DagsterInstance.get()
    yield instance
    instance.dispose()
