"""`keystone qa validate`: exit codes 0/1/2, the --json shape, the table, S3 URLs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keystone_pipelines.qa.cli import app
from keystone_pipelines.validator import CHECK_NAMES
from keystone_sim.recording import RecordingFacts, write_sidecar
from tests.support.processes import run_cli
from tests.validator.conftest import CAMERAS, TOPICS

runner = CliRunner()


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "spec.yaml"
    topics = "\n".join(f"  - {t}" for t in TOPICS)
    path.write_text(
        f"required_topics:\n{topics}\nmin_duration_s: 5\nmax_gap_s: 0.2\nimage_sample: 60\n"
    )
    return path


def run(*args: str) -> tuple[int, list[dict]]:  # type: ignore[type-arg]
    res = runner.invoke(app, ["validate", *args])
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    return res.exit_code, lines


def test_json_shape_and_exit_0(good: RecordingFacts, spec_file: Path, tmp_path: Path) -> None:
    sidecar = tmp_path / "task.json"
    write_sidecar(sidecar, good)
    code, lines = run(
        str(good.path),
        "--spec",
        str(spec_file),
        "--sha256",
        good.sha256,
        "--sidecar",
        str(sidecar),
        "--json",
    )
    assert code == 0
    (doc,) = lines
    assert doc["path"] == str(good.path) and doc["passed"] is True and doc["score"] == 1.0
    assert [c["name"] for c in doc["checks"]] == list(CHECK_NAMES)
    for check in doc["checks"]:
        assert {"name", "passed", "score", "detail"} <= set(check)
        assert isinstance(check["passed"], bool) and 0 <= check["score"] <= 1
    assert doc["tiers"] == ["summary", "message_indexes", "frame_sample", "integrity"]
    assert doc["bytes_read"] >= good.size
    assert doc["validator_version"] and doc["formula_version"] == "2"
    assert "axon.recording" in doc["axon"]


def test_one_failing_file_exits_1(
    make_recording: Callable[..., RecordingFacts], good: RecordingFacts, spec_file: Path
) -> None:
    missing = make_recording("missing", missing_topics=(CAMERAS[2],))
    code, lines = run(
        str(good.path), str(missing.path), "--spec", str(spec_file), "--json", "--no-integrity"
    )
    assert code == 1
    assert [d["passed"] for d in lines] == [True, False]
    assert all("integrity" not in d["tiers"] for d in lines)
    code, _ = run(str(good.path), "--sha256", "0" * 64, "--json")
    assert code == 1


def test_unassessable_file_or_bad_spec_exits_2(good: RecordingFacts, tmp_path: Path) -> None:
    code, lines = run(str(good.path), str(tmp_path / "absent.mcap"), "--json")
    assert code == 2
    assert lines[0]["passed"] is True
    assert lines[1]["assessed"] is False and "No such file" in lines[1]["error"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"required_topics": "not a list", "nonsense": 1}')
    res = runner.invoke(app, ["validate", str(good.path), "--spec", str(bad)])
    assert res.exit_code == 2 and "invalid QA spec" in res.stderr
    res = runner.invoke(app, ["validate", str(good.path), "--sha256", "xyz"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["validate", str(good.path), "--spec", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 2 and "cannot read spec" in res.stderr


def test_damaged_file_exits_1_not_2(good_bytes: bytes, tmp_path: Path) -> None:
    path = tmp_path / "cut.mcap"
    path.write_bytes(good_bytes[: len(good_bytes) // 3])
    code, (doc,) = run(str(path), "--json")
    assert code == 1 and "truncated" in doc["checks"][0]["detail"]


def test_table_output(
    make_recording: Callable[..., RecordingFacts], good: RecordingFacts, spec_file: Path
) -> None:
    short = make_recording("short", duration_s=2.0)
    res = runner.invoke(
        app, ["validate", str(good.path), str(short.path), "--spec", str(spec_file)]
    )
    assert res.exit_code == 1
    assert "PASS" in res.stdout and "FAIL" in res.stdout and "too short" in res.stdout


def test_s3_url_with_settings_credentials(s3, good: RecordingFacts) -> None:  # type: ignore[no-untyped-def]
    from keystone_api.storage.s3 import ensure_bucket

    ensure_bucket(s3, "qa-cli")
    s3.put_object(Bucket="qa-cli", Key="a/task.mcap", Body=Path(good.path).read_bytes())
    code, (doc,) = run("s3://qa-cli/a/task.mcap", "--json", "--no-integrity")
    assert code == 0 and doc["path"] == "s3://qa-cli/a/task.mcap"
    assert doc["bytes_read"] < good.size
    code, (doc,) = run("s3://qa-cli/a/missing.mcap", "--json")
    assert code == 2 and doc["assessed"] is False


def test_real_entry_point(good: RecordingFacts, tmp_path: Path) -> None:
    ok = run_cli("qa", "validate", str(good.path), "--json", "--no-integrity")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["passed"] is True
    missing = run_cli("qa", "validate", str(tmp_path / "none.mcap"))
    assert missing.returncode == 2
