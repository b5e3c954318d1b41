"""The real MariaDB/MySQL server the tests talk to."""

from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# The server, without a database; each test session makes its own database on it.
SERVER_URL = os.environ.get("KEYSTONE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")


def server_url() -> str:
    return SERVER_URL.rstrip("/")


def create_database(prefix: str) -> str:
    """Create a fresh, uniquely named database and return its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(server_url() + "/", connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(
                text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            )
    finally:
        engine.dispose()
    return f"{server_url()}/{name}"


def drop_database(url: str) -> None:
    name = make_url(url).database
    engine = create_engine(server_url() + "/", connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    finally:
        engine.dispose()


def require_server() -> None:
    """Fail loudly (never skip) when the server is not there: CI must run these tests."""
    engine = create_engine(server_url() + "/", connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise RuntimeError(
            f"MariaDB/MySQL is required for the test suite and is not reachable at "
            f"{server_url()} (set KEYSTONE_TEST_MYSQL_URL): {exc}"
        ) from exc
    finally:
        engine.dispose()


def dagster_url(keystone_url: str) -> str:
    """Dagster's own storage URL (mysql-connector driver) for a database URL."""
    url = make_url(keystone_url).set(drivername="mysql+mysqlconnector")
    return url.render_as_string(hide_password=False)
