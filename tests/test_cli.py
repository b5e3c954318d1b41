"""The command line: migrations, serving, and one-line errors for bad configuration."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import inspect

from keystone_api.db.engine import make_engine
from tests.db.test_migrations import EXPECTED_TABLES
from tests.support import mysql
from tests.support.processes import keystone_api_process, run_cli


@pytest.fixture
def empty_mysql():  # type: ignore[no-untyped-def]
    url = mysql.create_database("ks_cli")
    yield url
    mysql.drop_database(url)


@pytest.mark.slow  # every migration, in a process of its own
def test_db_upgrade_creates_every_table_on_empty_mariadb(empty_mysql: str) -> None:
    result = run_cli("db", "upgrade", env={"KEYSTONE_DATABASE_URL": empty_mysql})
    assert result.returncode == 0, result.stderr
    engine = make_engine(empty_mysql)
    try:
        assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES
    finally:
        engine.dispose()
    again = run_cli("db", "upgrade", env={"KEYSTONE_DATABASE_URL": empty_mysql})
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize(
    ("env", "args", "setting"),
    [
        (
            {"KEYSTONE_DATABASE_URL": "mysql+pymysql://root@127.0.0.1:1/nowhere"},
            ["db", "upgrade"],
            "KEYSTONE_DATABASE_URL",
        ),
        ({"KEYSTONE_DATABASE_URL": "not a url"}, ["db", "current"], "KEYSTONE_DATABASE_URL"),
        ({"KEYSTONE_ROLE": "satellite"}, ["check"], "KEYSTONE_ROLE"),
        ({"KEYSTONE_S3_ENDPOINT_URL": "http://127.0.0.1:1"}, ["check"], "KEYSTONE_S3_ENDPOINT_URL"),
        (
            {"KEYSTONE_DATABASE_URL": "mysql+pymysql://root@127.0.0.1:1/nowhere"},
            ["api"],
            "KEYSTONE_DATABASE_URL",
        ),
    ],
)
def test_bad_configuration_is_one_line_naming_the_setting(
    env: dict[str, str], args: list[str], setting: str
) -> None:
    result = run_cli(*args, env=env, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert setting in lines[0]
    assert "Traceback" not in result.stderr


def test_wrong_s3_credentials_name_the_setting(s3_server) -> None:
    result = run_cli("check", env={"KEYSTONE_S3_SECRET_KEY": "wrong"}, timeout=60)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "KEYSTONE_S3_SECRET_KEY" in result.stderr


def test_keystone_api_serves_health_and_openapi(s3_server, tmp_path) -> None:
    with keystone_api_process(log_path=tmp_path / "api.log") as base:
        health = httpx.get(base + "/healthz").json()
        assert health["status"] == "ok"
        assert httpx.get(base + "/readyz").json() == {"status": "ok", "database": "ok"}
        spec = httpx.get(base + "/openapi.json").json()
        assert spec["openapi"].startswith("3.")
        assert httpx.get(base + "/docs").status_code == 200
        missing = httpx.get(base + "/no/such/route")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"
