"""What making a robot's store key costs as a store holds more of them.

    .venv/bin/python bench/store_keys_bench.py [--robots 200]

Issues robots' keys one after another on a fresh SeaweedFS (`weed mini`, its IAM API) as
registration does (storage/identities.py: user, policy, key), and prints the cost per key
by how many identities the store already holds. SeaweedFS rebuilds its whole identity
configuration on every change, so the cost grows with the count; MinIO (production) makes
service accounts, which it does not (not measurable here: MinIO cannot be installed).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import SecretStr  # noqa: E402

from keystone_api.settings import Settings  # noqa: E402
from keystone_api.storage import policies  # noqa: E402
from keystone_api.storage.identities import issue  # noqa: E402
from keystone_dev.seaweed import SeaweedServer  # noqa: E402

STEP = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--robots", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        s3 = SeaweedServer(Path(tmp) / "s3").start()
        try:
            settings = Settings(
                s3_endpoint_url=s3.endpoint_url,
                s3_access_key=s3.access_key,
                s3_secret_key=SecretStr(s3.secret_key),
            )
            print(f"robot store keys on SeaweedFS ({s3.endpoint_url}), one after another")
            started = last = time.perf_counter()
            for n in range(1, args.robots + 1):
                prefix = policies.robot_prefix("factory", f"robot-{n:04d}")
                issue(settings, f"ks-robot-robot-{n:04d}", policies.robot("edge-f", prefix))
                if n % STEP == 0:
                    now = time.perf_counter()
                    each = (now - last) / STEP * 1000
                    print(f"  identities {n - STEP + 1:4d}-{n:4d}: {each:7.0f} ms per key")
                    last = now
            print(f"  {args.robots} keys in {time.perf_counter() - started:.1f} s")
        finally:
            s3.stop()


if __name__ == "__main__":
    main()
