"""`keystone simulate` against a real edge (MariaDB, SeaweedFS, uvicorn) with QA running:
every recording reaches the object store and is ACKed, every episode gets a QA decision,
and the defective ones are flagged (a lost callback is absorbed: it approves)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from typer.testing import CliRunner

from keystone_api.settings import get_settings
from keystone_dev.cli.main import app
from keystone_sim.factory.defects import DEFECTS
from tests.devstack.conftest import DemoEdge


def test_simulated_fleet_reaches_decisions(
    demo_edge: DemoEdge,
    qa_loop: None,
    s3,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    report_path = tmp_path / "report.json"
    args = ["simulate", "--api", demo_edge.base, "--token", demo_edge.admin_token]
    args += ["--robots", "3", "--episodes", "9", "--defect-rate", "0.67", "--seconds", "2.5"]
    args += ["--fleet", "t-sim", "--work-dir", str(tmp_path / "fleet"), "--no-progress"]
    args += ["--decision-timeout", "120", "--report", str(report_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(report_path.read_text())
    recordings = report["recordings"]
    assert len(recordings) == 9 and len(report["robots"]) == 3
    # Two thirds carry a defect, each kind once; every one is uploaded, ACKed and decided
    # the way its kind should be (data defects flagged, clean and lost-callback approved).
    assert sorted(r["kind"] for r in recordings) == sorted([*DEFECTS, *["clean"] * 3])
    for rec in recordings:
        assert rec["uploaded"] and rec["acked"], rec
        assert rec["decision"] == rec["expected"], rec
    flagged = {r["kind"] for r in recordings if r["decision"] == "needs_inspection"}
    assert flagged == set(DEFECTS) - {"lost_callback"}

    admin = {"Authorization": f"Bearer {demo_edge.admin_token}"}
    bucket = get_settings().bucket_for(demo_edge.factory_id)
    with httpx.Client(base_url=demo_edge.base, headers=admin, timeout=30) as client:
        for rec in recordings:
            task = client.get(f"/api/v1/tasks/{rec['task_id']}").json()
            assert task["status"] == "completed" and task["episode_id"] == rec["episode_id"]
            # The lost callback never arrived; the upload completed the task all the same.
            assert (task["finish_callback"] is None) == (rec["kind"] == "lost_callback")
            episode = client.get(f"/api/v1/episodes/{rec['episode_id']}").json()
            key = episode["mcap_key"]
            # The recorder's key layout, both objects in the factory's bucket.
            assert key.startswith(f"{demo_edge.factory_id}/{rec['device_id']}/")
            assert key.endswith(f"/{rec['task_id']}.mcap")
            head = s3.head_object(Bucket=bucket, Key=key)
            assert head["Metadata"]["checksum-sha256"] == episode["checksum_sha256"]
            assert s3.head_object(Bucket=bucket, Key=key[: -len(".mcap")] + ".json")
    assert "Simulated fleet by defect kind" in result.output
