"""`keystone qa reassess` in a real process on the session's MariaDB: the same filter and
rules as the API; a bad filter is one line naming it (exit 2), never a traceback."""

from __future__ import annotations

import json

import pytest

from tests.support.processes import run_cli

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--failed-check", "vibes"], "failed_check: Value error, unknown check 'vibes'"),
        (["--score-min", "0.9", "--score-max", "0.1"], "score_min is above score_max"),
        ([], "name at least one filter"),
        (["--episode", "e1"], "reason: required"),
        (["--robot-type", "no such type"], "no robot type with id or name 'no such type'"),
    ],
)
def test_bad_filters_are_one_line(args: list[str], says: str) -> None:
    result = run_cli("qa", "reassess", *args, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr


def test_preview_answers_what_it_would_take(world) -> None:
    result = run_cli("qa", "reassess", "--robot-type", world.robot_type_id, "--preview", timeout=60)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    # A new robot type: nothing assessed yet, so nothing to take and nothing left alone.
    assert (answer["preview"], answer["count"], answer["untouched"]) == (True, 0, [])
    marked = run_cli(
        "qa",
        "reassess",
        "--robot-type",
        world.robot_type_id,
        "--reason",
        "checking the command",
        "--requested-by",
        "qa-lead",
        timeout=60,
    )
    assert marked.returncode == 0, marked.stderr
    done = json.loads(marked.stdout)
    assert done["preview"] is False and done["request_id"] and done["count"] == 0
