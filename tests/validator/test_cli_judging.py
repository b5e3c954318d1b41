"""`keystone qa validate` without a spec lists what it cannot judge instead of passing it;
it reads the sidecar beside a recording as the pipeline does; the same file gives the same
result each time (the samples are planned from the file's index, not drawn at random)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from keystone_pipelines.validator.cli import build_app
from keystone_sim.recording import RecordingFacts, write_sidecar

runner = CliRunner()
app = build_app()  # no Keystone behind it: --robot-type is refused


def _run(*args: str) -> tuple[int, str, list[dict]]:  # type: ignore[type-arg]
    res = runner.invoke(app, ["validate", *args])
    docs = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    return res.exit_code, res.output, docs


def test_no_spec_says_which_checks_cannot_be_judged(good: RecordingFacts) -> None:
    code, _, (doc,) = _run(str(good.path), "--json")
    assert code == 0 and doc["spec"].startswith("no spec")
    assert {n["check"] for n in doc["not_judged"]} == {
        "required_topics",
        "duration",
        "gaps",
        "rates",
        "joint_states",  # in part: frozen and ranges need the spec's topics and limits
    }
    code, out, _ = _run(str(good.path))
    assert "not judged: rates: the spec sets no expected rates" in out
    assert "spec: no spec" in out


def test_the_sidecar_beside_the_recording_is_read(good: RecordingFacts, tmp_path: Path) -> None:
    mcap = tmp_path / "task_0001.mcap"
    shutil.copy(good.path, mcap)
    code, _, (alone,) = _run(str(mcap), "--json")
    assert alone["sidecar"] is None
    assert "sidecar" not in alone["checks"][-1]["detail"].lower()
    sidecar = write_sidecar(tmp_path / "task_0001.json", good)
    sidecar["recording"]["message_count"] += 5  # a sidecar that disagrees with the file
    (tmp_path / "task_0001.json").write_text(json.dumps(sidecar))
    code, _, (beside,) = _run(str(mcap), "--json")
    assert beside["sidecar"] == str(tmp_path / "task_0001.json")
    integrity = beside["checks"][-1]
    assert not integrity["passed"] and code == 1, integrity
    code, _, (skipped,) = _run(str(mcap), "--no-sidecar", "--json")
    assert skipped["sidecar"] is None and code == 0


def test_the_same_file_gives_the_same_result(make_recording) -> None:  # type: ignore[no-untyped-def]
    facts = make_recording("cli-corrupt", corrupt_jpeg_fraction=0.05)
    runs = [_run(str(facts.path), "--json", "--no-integrity")[2][0] for _ in range(3)]
    keyed = [
        (d["score"], [(c["name"], c["score"], c.get("data")) for c in d["checks"]]) for d in runs
    ]
    assert keyed[0] == keyed[1] == keyed[2] and runs[0]["score"] < 0.9


def test_contradicting_options_are_refused(good: RecordingFacts, tmp_path: Path) -> None:
    code, out, _ = _run(str(good.path), "--sidecar", str(tmp_path / "x.json"), "--no-sidecar")
    assert code == 2 and "--sidecar and --no-sidecar contradict" in out
    code, out, _ = _run(str(good.path), "--robot-type", "arm-7")
    assert code == 2 and "--robot-type needs Keystone" in out
