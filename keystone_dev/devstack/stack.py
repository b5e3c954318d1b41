"""`keystone dev`: the whole edge and its cloud on one machine, embedded default.

Two SeaweedFS servers (the edge's object store and the cloud's), the API in its edge role
and a second instance in its cloud role (own SQLite database and bucket), the Dagster
webserver and daemon, a seeded demo world and fleet, and the fleet simulator. State lives
under the state directory (.keystone/), so the next start continues where this one stopped.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from keystone_dev.devstack import devfile, services, store_keys
from keystone_dev.devstack.config import (
    CLOUD_BUCKET,
    FLEET,
    DevConfig,
    check_ports,
    dev_keys,
    partitions_start,
)
from keystone_dev.devstack.dagster_home import free_port, prepare_instance, wait_code_server
from keystone_dev.devstack.processes import ManagedProcess, stop_all, wait_healthy
from keystone_dev.devstack.recovery import release_qa_claims
from keystone_dev.devstack.seed import DemoWorld
from keystone_dev.seaweed import SeaweedServer

HEALTH_TIMEOUT_S = 120


@dataclass
class DevStack:
    config: DevConfig
    services: list[ManagedProcess] = field(default_factory=list)
    stores: list[ManagedProcess] = field(default_factory=list)
    simulator: ManagedProcess | None = None
    urls: dict[str, str] = field(default_factory=dict)
    world: DemoWorld | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    _store_threads: list[threading.Thread] = field(default_factory=list)

    @property
    def logs(self) -> Path:
        return self.config.state_dir / "logs"

    def start(self) -> None:
        cfg = self.config
        cfg.state_dir.mkdir(parents=True, exist_ok=True)
        check_ports(cfg)
        keys = dev_keys(cfg.state_dir)
        edge_s3, cloud_s3 = self._start_stores()
        from keystone_api.db import migrate

        if cfg.mysql_url:
            services.ensure_mysql_database(cfg.mysql_url)
        migrate.upgrade(cfg.database_url)
        migrate.upgrade(cfg.cloud_database_url)
        release_qa_claims(cfg.database_url)
        robot_type_id, robot_type = self._seed_database()
        self._ensure_cloud_bucket(cloud_s3)
        keys_of = store_keys.process_keys(cfg, edge_s3, cloud_s3)
        edge_env = services.edge_env(cfg, keys, edge_s3)
        edge_env["KEYSTONE_PARTITIONS_START"] = partitions_start(cfg.state_dir)
        cloud_env = services.cloud_env(cfg, keys, cloud_s3, keys_of.cloud)
        apis = services.apis(cfg, self.logs, {**edge_env, **keys_of.api}, cloud_env)
        self.services = list(apis)
        for proc in apis:
            proc.start()
        # While the APIs start: the Dagster instance, before its webserver and daemon.
        home = services.dagster_home(cfg)
        prepare_instance({**edge_env, **home}, self.logs / "dagster-instance.log")
        wait_healthy(self.services, HEALTH_TIMEOUT_S)
        self.world, self.tokens = devfile.seed_and_mint(cfg, keys, robot_type_id, robot_type)
        # Dagster's sync sender writes the demo factory's prefix in the cloud bucket only,
        # with a service token bound to that factory: both exist once the world does.
        sync = services.sync_env(
            cfg,
            self.tokens["cloud_service"],
            cloud_s3,
            store_keys.sync_cloud_key(cfg, cloud_s3, self.world.factory_id),
        )
        code_port = free_port()
        code_server, *dagster = services.dagster(
            cfg, self.logs, {**edge_env, **keys_of.qa, **sync, **home}, code_port
        )
        self.services += [code_server, *dagster]
        code_server.start()
        wait_code_server(code_port, code_server.alive, HEALTH_TIMEOUT_S)
        for proc in dagster:
            proc.start()
        wait_healthy(self.services, HEALTH_TIMEOUT_S)
        self.urls = devfile.urls(cfg, edge_s3, cloud_s3, self.tokens["display"])
        devfile.write(cfg, self.urls, self.tokens, self.world, edge_s3, cloud_s3)
        self._seed_fleet(robot_type)
        if cfg.simulate:
            self.simulator = services.simulator(cfg, self.logs)
            self.simulator.start()

    def _start_stores(self) -> tuple[str, str]:
        """Both SeaweedFS servers at once (each takes a few seconds to be ready)."""
        cfg = self.config
        servers: dict[str, SeaweedServer] = {}
        errors: list[BaseException] = []

        def start(name: str, port: int) -> None:
            server = SeaweedServer(
                cfg.state_dir / name, cfg.s3_access_key, cfg.s3_secret_key, s3_port=port
            )
            servers[name] = server
            try:
                server.start()
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                errors.append(exc)
            finally:
                if server.process is not None:
                    assert server.log_path is not None
                    store = ManagedProcess(name, [], {}, server.log_path)
                    store.process = server.process
                    self.stores.append(store)

        wanted = {"s3-cloud": cfg.cloud_s3_port}
        if cfg.s3_endpoint is None:
            wanted["s3-edge"] = cfg.s3_port
        self._store_threads = [
            threading.Thread(target=start, args=item, daemon=True) for item in wanted.items()
        ]
        for thread in self._store_threads:
            thread.start()
        for thread in self._store_threads:
            thread.join()
        if errors:
            raise errors[0]
        edge = cfg.s3_endpoint or servers["s3-edge"].endpoint_url
        return edge, servers["s3-cloud"].endpoint_url

    def _seed_database(self) -> tuple[str, str]:
        from sqlalchemy.orm import Session

        from keystone_api.db.engine import make_engine
        from keystone_dev.devstack.seed import seed_robot_type

        engine = make_engine(self.config.database_url)
        try:
            with Session(engine) as session, session.begin():
                return seed_robot_type(session)
        finally:
            engine.dispose()

    def _ensure_cloud_bucket(self, cloud_s3: str) -> None:
        from keystone_api.storage.s3 import ensure_bucket, make_s3_client

        cfg = self.config
        client = make_s3_client(cloud_s3, cfg.s3_access_key, cfg.s3_secret_key)
        ensure_bucket(client, CLOUD_BUCKET)
        # Encrypted at rest by the store whatever a writer asks for (the sender asks too).
        rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        client.put_bucket_encryption(
            Bucket=CLOUD_BUCKET, ServerSideEncryptionConfiguration={"Rules": [rule]}
        )

    def _seed_fleet(self, robot_type: str) -> None:
        """The fleet's robots registered (as Axon robots register) and paired at their
        workstations, the demo order scheduled: there even with --no-simulate, and the
        simulator finds them (their device.json) rather than registering new ones."""
        import asyncio

        from keystone_dev.devstack.seed import FACTORY
        from keystone_sim.factory import Fleet, FleetOptions, Target
        from keystone_sim.factory.target import DEV_COLLECTOR_PASSWORD

        cfg = self.config
        target = Target(
            self.urls["api"], self.tokens["admin"], FACTORY, robot_type, DEV_COLLECTOR_PASSWORD
        )
        options = FleetOptions(
            robots=cfg.robots, fleet=FLEET, work_dir=cfg.state_dir / "fleets" / FLEET
        )
        asyncio.run(Fleet(target, options).provision())

    def failed(self) -> list[ManagedProcess]:
        """Essential processes that stopped (the simulator is not essential)."""
        return [p for p in [*self.stores, *self.services] if not p.alive()]

    def stop(self) -> None:
        # The simulator first (it gives unfinished tasks back through the API), then the
        # servers, then the object stores they write to (once they are all started: a
        # Ctrl-C during start-up must not leave one behind).
        if self.simulator is not None:
            stop_all([self.simulator], timeout_s=10)
        # The Dagster daemon before the code server: left running, it would launch queued
        # runs and retries of the runs that stopping interrupts into a code server that is
        # going away, and those runs would fail (an operator alert at the next start).
        daemon = [p for p in self.services if p.name == "dagster-daemon"]
        stop_all(daemon, timeout_s=20)
        stop_all([p for p in self.services if p not in daemon], timeout_s=20)
        for thread in self._store_threads:
            thread.join(timeout=90)
        stop_all(self.stores, timeout_s=20)
