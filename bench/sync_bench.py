"""Cloud sync benchmark: a large recording, and 500 small episodes after an outage.

    .venv/bin/python bench/sync_bench.py [--size-mb 1024] [--small 500] [--rounds 2]

Two SeaweedFS servers (edge store, cloud store), two MariaDB databases, the cloud receiver
as a `keystone api` process (KEYSTONE_ROLE=cloud), the sender in this process with the
production defaults (16 MiB parts, 8 in flight, 30 s backoff cap).

1. Large: N recordings of the same random bytes, uploaded one after the other with a plain
   boto3 `upload_file` to the cloud store, and synced by one `drain()` (streaming GET from
   the edge store, multipart PUTs with CRC64NVME checksums and SSE, the full SHA-256 checked
   on the way; then the receiver, which compares the store's full-object CRC64NVME with
   the sender's). Rounds alternate which goes first (target: ratio >= 0.8).
2. Small: N approved episodes queued while the cloud is unreachable; then the cloud
   returns: time until the queue is empty (including the wait for the head's backoff).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.sync_seed import Edge, seed_episode, seed_registry  # noqa: E402
from keystone_api.settings import DeployRole, Settings  # noqa: E402
from keystone_api.storage.s3 import ensure_bucket, make_s3_client  # noqa: E402
from keystone_dev.seaweed import SeaweedServer, free_port  # noqa: E402
from tests.support import mysql  # noqa: E402
from tests.support.processes import keystone_api_process  # noqa: E402
from tests.support.tokens import recorded_token  # noqa: E402

MIB = 1024 * 1024
CLOUD_BUCKET = "cloud-episodes"

# The cloud signs with its own key: an edge cannot mint what the cloud accepts.
CLOUD_SECRET = "bench-cloud-secret-" + "y" * 40


def random_file(path: Path, size: int) -> str:
    """Random bytes (incompressible, like camera data), written in 8 MiB blocks."""
    digest = hashlib.sha256()
    block = os.urandom(8 * MIB)
    with open(path, "wb") as out:
        written = 0
        while written < size:
            # A fresh prefix per block so no two blocks are equal (no dedup anywhere).
            chunk = (os.urandom(64) + block[64:])[: size - written]
            out.write(chunk)
            digest.update(chunk)
            written += len(chunk)
    return digest.hexdigest()


def large(edge: Edge, settings, size: int, count: int, rounds: int, tmp: Path) -> None:  # type: ignore[no-untyped-def]
    from keystone_api.sync.sender import drain

    path = tmp / "recording.mcap"
    sha = random_file(path, size)
    plain_client = make_s3_client(
        settings.cloud_s3_endpoint_url,
        settings.cloud_s3_access_key,
        settings.cloud_s3_secret_key.get_secret_value(),
    )

    def plain(n: int) -> float:
        start = time.perf_counter()
        for i in range(count):
            plain_client.upload_file(str(path), CLOUD_BUCKET, f"plain/{n}-{i}.mcap")
        return time.perf_counter() - start

    def sync() -> tuple[float, float]:
        episodes = [seed_episode(edge, path, sha) for _ in range(count)]
        start = time.perf_counter()
        report = drain(edge.sessions, settings)
        assert report.synced == episodes, report
        return time.perf_counter() - start, report.receiver_s

    ratios = []
    for n in range(rounds):
        load = os.getloadavg()[0]
        # Alternate which goes first: the store's state (volumes filling up) favours neither.
        if n % 2 == 0:
            t_plain = plain(n)
            t_sync, t_receiver = sync()
        else:
            t_sync, t_receiver = sync()
            t_plain = plain(n)
        ratios.append(t_plain / t_sync)
        total = size * count
        print(
            f"  round {n + 1} (load {load:.1f}): plain upload_file "
            f"{total / t_plain / 1e6:6.1f} MB/s "
            f"({t_plain:.2f} s) | sync {total / t_sync / 1e6:6.1f} MB/s ({t_sync:.2f} s; "
            f"receiver's answers {t_receiver:.2f} s) | ratio {ratios[-1]:.2f}"
        )
    print(
        f"large recordings, {count} x {size / MIB:.0f} MiB: sync/plain throughput ratio median "
        f"{statistics.median(ratios):.2f}, best {max(ratios):.2f} (target >= 0.80)"
    )


def small(edge: Edge, settings, count: int, tmp: Path) -> None:  # type: ignore[no-untyped-def]
    from keystone_api.sync.sender import drain
    from keystone_api.sync.stats import sync_queue_depth

    path = tmp / "small.mcap"
    sha = random_file(path, 256 * 1024)
    start = time.perf_counter()
    for _ in range(count):
        seed_episode(edge, path, sha)
    seeded = time.perf_counter() - start
    print(f"  {count} small episodes (256 KiB) landed and queued in {seeded:.1f} s")
    dead = settings.model_copy(
        update={
            "cloud_api_url": f"http://127.0.0.1:{free_port()}",
            "cloud_s3_endpoint_url": f"http://127.0.0.1:{free_port()}",
        }
    )
    outage = drain(edge.sessions, dead, deadline=time.monotonic() + 5)
    with edge.sessions() as session:
        depth = sync_queue_depth(session)
    print(f"  outage: {len(outage.errors)} failed attempts, queue depth {depth}")
    start = time.perf_counter()
    first_ok = None
    while True:
        report = drain(edge.sessions, settings, deadline=time.monotonic() + 2)
        if report.confirmed and first_ok is None:
            first_ok = time.perf_counter()
        if report.remaining == 0:
            break
    total = time.perf_counter() - start
    pure = total - ((first_ok or start) - start)
    print(
        f"drain after outage: {count} episodes in {total:.1f} s from the cloud's return "
        f"({count / total:.1f}/s), {pure:.1f} s after the first success ({count / pure:.1f}/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--large", type=int, default=2, help="recordings per round")
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from pydantic import SecretStr

    tmp = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    edge_store = SeaweedServer(tmp / "edge-s3").start()
    cloud_store = SeaweedServer(tmp / "cloud-s3").start()
    edge_url, cloud_url = mysql.create_database("bench_edge"), mysql.create_database("bench_cloud")
    try:
        os.environ.update(
            KEYSTONE_DATABASE_URL=edge_url,
            KEYSTONE_S3_ENDPOINT_URL=edge_store.endpoint_url,
            KEYSTONE_JWT_SECRET="bench-secret-" + "x" * 40,
        )
        from keystone_api.db import migrate
        from keystone_api.settings import get_settings

        migrate.upgrade(edge_url)
        migrate.upgrade(cloud_url)
        cloud_s3 = make_s3_client(cloud_store.endpoint_url, "keystone", "keystone-secret")
        ensure_bucket(cloud_s3, CLOUD_BUCKET)
        env = {
            "KEYSTONE_ROLE": "cloud",
            "KEYSTONE_DATABASE_URL": cloud_url,
            "KEYSTONE_S3_ENDPOINT_URL": cloud_store.endpoint_url,
            "KEYSTONE_CLOUD_BUCKET": CLOUD_BUCKET,
            "KEYSTONE_JWT_SECRET": CLOUD_SECRET,
        }
        with keystone_api_process(env, tmp / "cloud-api.log") as cloud_api:
            base = get_settings()
            # The cloud's own key, issuer and audience; recorded in the cloud's registry.
            cloud = Settings(role=DeployRole.cloud, jwt_secret=SecretStr(CLOUD_SECRET))
            token = recorded_token(cloud, "service", database_url=cloud_url, label="sync bench")
            settings = base.model_copy(
                update={
                    "cloud_api_url": cloud_api,
                    "cloud_service_token": SecretStr(token),
                    "cloud_s3_endpoint_url": cloud_store.endpoint_url,
                    "cloud_s3_access_key": "keystone",
                    "cloud_s3_secret_key": SecretStr("keystone-secret"),
                    "cloud_bucket": CLOUD_BUCKET,
                }
            )
            edge = seed_registry(edge_url, edge_store)
            print(f"sync benchmark ({os.cpu_count()} CPUs; edge and cloud stores on this machine)")
            large(edge, settings, args.size_mb * MIB, args.large, args.rounds, tmp)
            small(edge, settings, args.small, tmp)
    finally:
        edge_store.stop()
        cloud_store.stop()
        mysql.drop_database(edge_url)
        mysql.drop_database(cloud_url)
        shutil.rmtree(tmp, ignore_errors=True)  # gigabytes of store data and test files


if __name__ == "__main__":
    main()
