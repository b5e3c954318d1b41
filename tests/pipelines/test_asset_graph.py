"""The Dagster graph is what the committed snapshot says (tests/pipelines/asset_graph.py):
a new asset, a moved dependency, a dropped check or a sensor pointed elsewhere fails here
until the snapshot is regenerated, so the change is seen in review."""

from __future__ import annotations

import difflib

from tests.pipelines.asset_graph import SNAPSHOT, WRITE_COMMAND, describe, render


def test_the_live_definitions_match_the_committed_snapshot() -> None:
    live = render(describe())
    committed = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    if live != committed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                live.splitlines(keepends=True),
                fromfile=f"{SNAPSHOT.name} (committed)",
                tofile="keystone_pipelines.definitions (live)",
            )
        )
        raise AssertionError(
            f"The Dagster graph changed. If that is meant, regenerate the snapshot with\n"
            f"    {WRITE_COMMAND}\nand commit it.\n\n{diff}"
        )
