"""End to end with `dagster-daemon` running for real: a recording dropped into the bucket
reaches its QA decision with nobody calling anything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
from sqlalchemy import select

from keystone_api.db.engine import get_sessionmaker
from keystone_api.episodes.models import Episode
from tests.conftest import REPO_ROOT
from tests.pipelines.recordings import record_and_upload
from tests.support.dagster_leftovers import cancel_leftovers

DECIDED = {"auto_approved", "needs_inspection"}


def test_a_dropped_recording_reaches_its_decision(
    world, s3, tmp_path: Path, dagster_home, dagster_instance
) -> None:
    w = world
    w.order(target=2)
    good, _ = record_and_upload(w, s3, tmp_path, 0)
    bad, _ = record_and_upload(w, s3, tmp_path, 1, corrupt_jpeg_fraction=0.4, callbacks=False)
    cancel_leftovers(dagster_instance)
    log = open(tmp_path / "daemon.log", "wb")  # noqa: SIM115
    daemon = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-daemon")), "run", "-w", "workspace.yaml"],
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    statuses: dict[str, str] = {}
    try:
        deadline = time.monotonic() + 240  # a hang guard, not a speed expectation
        while time.monotonic() < deadline:
            with get_sessionmaker()() as session:
                statuses = dict(
                    session.execute(
                        select(Episode.task_id, Episode.status).where(
                            Episode.task_id.in_([good["id"], bad["id"]])
                        )
                    ).all()
                )
            statuses = {k: getattr(v, "value", v) for k, v in statuses.items()}
            if len(statuses) == 2 and set(statuses.values()) <= DECIDED:
                break
            assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
            time.sleep(2)
    finally:
        # The whole group: the daemon's code server must not outlive it.
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
        log.close()
    assert statuses == {good["id"]: "auto_approved", bad["id"]: "needs_inspection"}, (
        tmp_path / "daemon.log"
    ).read_text()[-3000:]
    runs = dagster_instance.get_runs(filters=dg.RunsFilter(job_name="episode_qa_job"))
    assert any(r.status.value == "SUCCESS" for r in runs)
