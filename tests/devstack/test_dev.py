"""`keystone dev` as a real process on temporary ports and a temporary state directory
(its embedded default: SQLite, SeaweedFS): every service answers, dev.json says how to
reach them, the simulated fleet lands recordings, Ctrl-C stops every process it started,
and a second start continues from the same state without seeding anything twice."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from keystone_dev.seaweed import free_port


def _port_pair() -> int:
    """A free port whose +10000 neighbour (SeaweedFS's gRPC) is free too."""
    while True:
        port = free_port()
        if port + 10000 <= 65535:
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port + 10000))
                    return port
                except OSError:
                    continue


class Dev:
    """One `keystone dev` process and what it printed."""

    def __init__(self, state: Path, ports: dict[str, int]) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KEYSTONE_", "DAGSTER"))}
        args = [f"--{name}={port}" for name, port in ports.items()]
        args += ["--robots", "1", "--seconds", "2.5", "--interval", "1"]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "keystone_dev.cli.main", "dev", "--state-dir", str(state)]
            + args,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.dev_json = state / "dev.json"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)

    def wait_ready(self, timeout: float = 180) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while not any("ready in" in line for line in self.output):
            assert self.proc.poll() is None, "".join(self.output)
            assert time.monotonic() < deadline, "not ready: " + "".join(self.output)
            time.sleep(0.2)
        return dict(json.loads(self.dev_json.read_text()))

    def interrupt(self, timeout: float = 120) -> list[psutil.Process]:
        """Ctrl-C; returns the processes it had started (to check they are gone)."""
        children = psutil.Process(self.proc.pid).children(recursive=True)
        self.proc.send_signal(signal.SIGINT)
        assert self.proc.wait(timeout=timeout) == 0, "".join(self.output)
        return children


def _get(url: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(url, headers=headers, timeout=30)


def _until(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)
    return value


def _count(api: str, token: str, path: str) -> int:
    return int(_get(f"{api}/api/v1/{path}", token).json()["total"])


CLOUD = "cloud-episodes"


def _s3(endpoint: str, access: str, secret: str) -> Any:
    from keystone_api.storage.s3 import make_s3_client

    return make_s3_client(endpoint, access, secret)


def _environ_of(dev: Dev, program: str, *args: str) -> dict[str, str]:
    """The environment of the child of `keystone dev` running `program` with `args`."""
    for child in psutil.Process(dev.proc.pid).children(recursive=True):
        cmd = child.cmdline()
        if any(part.endswith(program) for part in cmd) and all(a in cmd for a in args):
            return dict(child.environ())
    raise AssertionError(f"no {program} {' '.join(args)} under keystone dev")


def _refused(call: Any) -> bool:
    from botocore.exceptions import ClientError

    try:
        call()
    except ClientError as exc:
        return bool(exc.response["Error"]["Code"] == "AccessDenied")
    return False


def _each_process_holds_its_own_store_key(dev: Dev, ports: dict[str, int], doc: Any) -> None:
    """As in production, not the store's admin key: the API reads recordings (and alone
    holds the identity credentials that make robots' keys), Dagster reads them and writes
    evidence under qa/, and its cloud key writes only the demo factory's prefix."""
    admin_key, edge, cloud = doc["s3"]["access_key"], doc["s3"]["edge"], doc["s3"]["cloud"]
    api = _environ_of(dev, "main", "api", "--port", str(ports["api-port"]))
    daemon = _environ_of(dev, "dagster-daemon")
    assert api["KEYSTONE_S3_ADMIN_ACCESS_KEY"] == admin_key
    assert "KEYSTONE_S3_ADMIN_ACCESS_KEY" not in daemon
    assert "KEYSTONE_CLOUD_S3_ACCESS_KEY" not in api
    reader = _s3(edge["endpoint"], api["KEYSTONE_S3_ACCESS_KEY"], api["KEYSTONE_S3_SECRET_KEY"])
    qa = _s3(edge["endpoint"], daemon["KEYSTONE_S3_ACCESS_KEY"], daemon["KEYSTONE_S3_SECRET_KEY"])
    sender = _s3(
        cloud["endpoint"],
        daemon["KEYSTONE_CLOUD_S3_ACCESS_KEY"],
        daemon["KEYSTONE_CLOUD_S3_SECRET_KEY"],
    )
    assert admin_key not in {
        api["KEYSTONE_S3_ACCESS_KEY"],
        daemon["KEYSTONE_S3_ACCESS_KEY"],
        daemon["KEYSTONE_CLOUD_S3_ACCESS_KEY"],
    }
    bucket, factory_id = edge["bucket"], doc["factory"]["id"]
    assert reader.list_objects_v2(Bucket=bucket)["KeyCount"] >= 1
    assert _refused(lambda: reader.put_object(Bucket=bucket, Key="qa/x", Body=b"x"))
    qa.put_object(Bucket=bucket, Key="qa/dev-key-check", Body=b"x")
    assert _refused(lambda: qa.put_object(Bucket=bucket, Key=f"{factory_id}/x", Body=b"x"))
    assert _refused(lambda: qa.delete_object(Bucket=bucket, Key="qa/dev-key-check"))
    assert _refused(lambda: sender.put_object(Bucket=CLOUD, Key="another-factory/x", Body=b"x"))
    assert _refused(lambda: sender.list_objects_v2(Bucket=CLOUD))


@pytest.mark.slow  # the whole dev stack as processes: over a minute
@pytest.mark.timeout(600)
def test_dev_runs_stops_and_continues(tmp_path: Path) -> None:
    ports = {
        "api-port": free_port(),
        "cloud-api-port": free_port(),
        "dagster-port": free_port(),
        "s3-port": _port_pair(),
        "cloud-s3-port": _port_pair(),
    }
    state = tmp_path / "state"
    dev = Dev(state, ports)
    try:
        doc = dev.wait_ready()
        urls, tokens = doc["urls"], doc["tokens"]
        api = urls["api"]
        assert api == f"http://127.0.0.1:{ports['api-port']}"
        assert _get(api + "/healthz").status_code == 200
        assert _get(urls["dagster"] + "/server_info").status_code == 200
        assert _get(urls["cloud_api"] + "/healthz").status_code == 200
        # The cloud instance is the receiver (its role's routes), not another edge.
        paths = _get(urls["cloud_api"] + "/openapi.json").json()["paths"]
        assert "/api/v1/sync/episode" in paths and "/api/v1/orders" not in paths
        assert {"dashboard", "inspection", "display", "api_docs", "s3_edge", "s3_cloud"} <= set(
            urls
        )
        assert set(tokens) == {"admin", "inspector", "display", "cloud_service"}
        assert _get(f"{api}/api/v1/auth/me", tokens["admin"]).json()["role"] == "admin"
        assert _get(f"{api}/api/v1/auth/me", tokens["inspector"]).json()["role"] == "inspector"
        assert _get(urls["display"]).status_code == 200
        assert "#token=" in urls["display"]  # a fragment: never in a request line or log
        # The cloud has its own key: the edge's service token is minted with it, and an edge
        # admin's token is nothing there.
        cloud_me = _get(f"{urls['cloud_api']}/api/v1/auth/me", tokens["cloud_service"])
        assert cloud_me.json()["kind"] == "service"
        assert _get(f"{urls['cloud_api']}/api/v1/auth/me", tokens["admin"]).status_code == 401
        # The cloud's catalog opens with the data reader's login printed at start.
        reader = httpx.post(
            urls["cloud_api"] + "/api/v1/auth/login", json=doc["accounts"]["cloud_reader"]
        ).json()
        assert reader["role"] == "data_reader" and _get(urls["catalog"]).status_code == 200
        episodes = _get(urls["cloud_api"] + "/api/v1/catalog/episodes", reader["access_token"])
        assert episodes.status_code == 200
        keys = json.loads((state / "secrets.json").read_text())
        assert keys["jwt_secret"] != keys["cloud_jwt_secret"]
        assert _get(urls["inspection"]).status_code == 200
        # The simulated fleet registers its robot and lands recordings, untouched.
        admin = tokens["admin"]
        _until(lambda: _count(api, admin, "episodes"), 120, "a landed episode")
        before = {p: _count(api, admin, p) for p in ("organizations", "robots", "workstations")}
        factory_id = doc["factory"]["id"]
        _each_process_holds_its_own_store_key(dev, ports, doc)
        # ... and with them the loop still closes: an approved episode reaches the cloud.
        s3 = doc["s3"]
        cloud = _s3(s3["cloud"]["endpoint"], s3["access_key"], s3["secret_key"])
        _until(
            lambda: cloud.list_objects_v2(Bucket=CLOUD, Prefix=f"{factory_id}/")["KeyCount"],
            240,
            "an episode synced to the cloud",
        )
    finally:
        started = dev.interrupt() if dev.proc.poll() is None else []
    gone, alive = psutil.wait_procs(started, timeout=30)
    assert not alive, f"left running: {[p.info for p in alive]}"
    assert any("stopped." in line for line in dev.output)

    again = Dev(state, ports)
    try:
        doc = again.wait_ready()
        tokens = doc["tokens"]
        assert doc["factory"]["id"] == factory_id
        episodes = _count(api, tokens["admin"], "episodes")
        assert episodes >= 1
        # Nothing seeded or registered twice: the fleet's robot came back as itself.
        for path, count in before.items():
            assert _count(api, tokens["admin"], path) == count, path
    finally:
        started = again.interrupt() if again.proc.poll() is None else []
    gone, alive = psutil.wait_procs(started, timeout=30)
    assert not alive, f"left running: {[p.info for p in alive]}"
