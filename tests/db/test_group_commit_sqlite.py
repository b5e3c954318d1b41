"""The group commit on the embedded default (SQLite, no row locks, no FOR UPDATE): a batch of
starts, finishes and heartbeats of several robots is written and answered item by item.
In a subprocess: the suite's own engine is MariaDB's, settled at import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import json
from sqlalchemy import select
from sqlalchemy.orm import Session
from bench.api_seed import seed
from keystone_api.accounts.tokens import TokenClaims
from keystone_api.callbacks.schemas import FinishCallback, StartCallback
from keystone_api.callbacks.service import CALLBACKS, Callback
from keystone_api.db import migrate
from keystone_api.db.engine import get_engine
from keystone_api.db.group_commit import write_batch
from keystone_api.fleet.heartbeats import HEARTBEATS
from keystone_api.fleet.models import Workstation
from keystone_api.orders.models import Batch, Task
from keystone_api.settings import get_settings

migrate.upgrade(get_settings().database_url)
with Session(get_engine()) as s, s.begin():
    seeded = seed(s, 3, 2)
    s.execute(Workstation.__table__.update().values(status="idle"))
items = []
for robot_id, device in seeded.robots:
    task_id = seeded.tasks_by_robot[robot_id][0]
    claims = TokenClaims("task", task_id, "robot", seeded.factory_id, device_id=device,
                         task_id=task_id)
    base = {"task_id": task_id, "device_id": device, "started_at": "2026-11-27T08:00:00Z"}
    finish = {**base, "status": "finished", "finished_at": "2026-11-27T08:00:30Z",
              "duration_sec": 30.0, "message_count": 10, "file_size_bytes": 100}
    items += [
        (CALLBACKS, Callback(claims, StartCallback(**base, status="recording"))),
        (CALLBACKS, Callback(claims, FinishCallback(**finish))),
        (CALLBACKS, Callback(claims, FinishCallback(**finish))),
    ]
    items += [
        (HEARTBEATS, TokenClaims("device", robot_id, "robot", seeded.factory_id,
                                 device_id=device, token_version=version))
        for version in (1, 2)
    ]
outcomes = [type(o).__name__ + ":" + (o.model_dump_json() if hasattr(o, "model_dump_json")
            else str(o)) for o in write_batch(items)]
with Session(get_engine()) as s:
    tasks = sorted(str(v) for v in s.scalars(select(Task.status)))
    stations = sorted(str(v) for v in s.scalars(select(Workstation.status)))
    batches = sorted(str(v) for v in s.scalars(select(Batch.status)))
print(json.dumps({"outcomes": outcomes, "tasks": tasks, "stations": stations,
                  "batches": batches}))
"""


def test_a_batch_on_sqlite_is_written_and_answered_item_by_item(tmp_path) -> None:
    env = {**os.environ, "KEYSTONE_DATABASE_URL": f"sqlite:///{tmp_path / 'edge.db'}"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    outcomes = result["outcomes"]
    assert len(outcomes) == 15
    for start, finish, repeat, beat, stale in zip(*[iter(outcomes)] * 5, strict=True):
        assert start.startswith("CallbackAck:") and '"in_progress"' in start
        assert finish.startswith("CallbackAck:") and '"uploading"' in finish
        assert '"duplicate":true' in repeat
        assert beat.startswith("HeartbeatOut:") and '"available":true' in beat
        # The seed's robots are at token version 1: a token of version 2 is not theirs.
        assert stale == "Unauthorized:device token revoked (rotated)"
    # Each robot's first task uploading, its second untouched; stations idle again after
    # the finish; every batch active with its first finish.
    assert result["tasks"] == ["pending"] * 3 + ["uploading"] * 3
    assert result["stations"] == ["idle"] * 3
    assert result["batches"] == ["active"] * 3
