"""The edge app for the simulator (robots need its public URL and the object store in
their templates, as in tests/gateways), the demo world seeded on it, and QA in-process.

The app is this module's own (module scope): the public URL is a process-wide setting, so
it is set only while these tests run and restored after, never while tests/gateways' app
(session scope, same worker) serves its robots."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from keystone_api.settings import get_settings
from tests.api.world import tool_token
from tests.support.live import public_edge_app


@dataclass(frozen=True)
class DemoEdge:
    base: str
    admin_token: str
    factory_id: str


@pytest.fixture(scope="module")
def edge_app(s3_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The edge app on a real uvicorn; the URLs it hands robots point at that port."""
    with public_edge_app() as (base, _app):
        yield base


@pytest.fixture(scope="module")
def demo_edge(edge_app: str) -> DemoEdge:
    """The world `keystone dev` seeds (the same functions), on MariaDB and SeaweedFS."""
    from keystone_api.db.engine import get_sessionmaker
    from keystone_dev.devstack.seed import seed_robot_type, seed_world
    from keystone_sim.factory.provision import AdminApi

    with get_sessionmaker().begin() as session:
        robot_type_id, robot_type = seed_robot_type(session)
    token = tool_token("admin", ttl_s=3600)
    api = AdminApi(edge_app, token)
    try:
        world = seed_world(
            api,
            robot_type_id,
            robot_type,
            stations=0,
            fleet="test",
            collector_password="collector-test-password",
            inspector_password="inspector-test-password",
        )
    finally:
        api.close()
    return DemoEdge(edge_app, token, world.factory_id)


@pytest.fixture
def qa_loop() -> Iterator[None]:
    """QA as Dagster's runs do it (keystone_pipelines.qa.run_qa), every half second, on the
    recordings that land while the test runs."""
    from keystone_api.db.base import utcnow
    from keystone_api.db.engine import get_sessionmaker
    from keystone_api.ids import new_id
    from keystone_api.storage.s3 import get_s3_client
    from keystone_pipelines.qa.run import run_qa

    start = utcnow()
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(0.5):
            run_qa(
                get_sessionmaker(),
                get_s3_client(),
                get_settings(),
                start,
                utcnow() + timedelta(hours=1),
                new_id(),
                workers=2,
            )

    thread = threading.Thread(target=loop, name="qa-loop", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=60)
